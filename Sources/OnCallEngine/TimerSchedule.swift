import OnCallCore
import Synchronization

/// The near horizon of timer due times this node knows about (a min-heap): when the timer service wakes next.
/// Only due times are held, not timers; the rows in PostgreSQL are the truth.
final class TimerSchedule: Sendable {
    private let heap = Mutex(MinHeap<Timestamp>())

    /// Adds `due` if it is within `horizon` of `now`; true when it is now the earliest (the loop should re-plan).
    func offer(_ due: Timestamp, horizon: Duration, now: Timestamp) -> Bool {
        guard due <= now + horizon else { return false }
        return heap.withLock { heap in
            let earliest = heap.peek.map { due < $0 } ?? true
            heap.push(due)
            return earliest
        }
    }

    /// Replaces everything with a fresh read of the table.
    func replace(with dues: [Timestamp]) {
        heap.withLock { $0 = MinHeap(dues) }
    }

    /// Drops due times up to `now` (they have just been claimed) and returns the earliest left.
    func next(after now: Timestamp) -> Timestamp? {
        heap.withLock { heap in
            while let top = heap.peek, top <= now { _ = heap.pop() }
            return heap.peek
        }
    }

    var count: Int { heap.withLock { $0.count } }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    init() {}
    init(_ elements: [Element]) {
        items = elements
        for index in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    var peek: Element? { items.first }
    var count: Int { items.count }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        siftDown(0)
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
