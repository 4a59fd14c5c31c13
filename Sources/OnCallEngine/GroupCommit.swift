import Foundation
import OnCallStore
import Synchronization

/// Coalesces concurrent work on many incidents into few round trips: while one batch is in flight, new
/// requests queue and go together in the next. Idle, a request goes at once (no added latency); under load,
/// throughput approaches what PostgreSQL commits per transaction rather than one transaction per incident.
actor Coalescer<Input: Sendable, Output: Sendable> {
    typealias Flush = @Sendable ([Input]) async throws -> [Output]

    private var queue: [(Input, CheckedContinuation<Output, any Error>)] = []
    private var inFlight = 0
    private let maxBatch: Int
    private let maxInFlight: Int
    private let flush: Flush

    init(maxBatch: Int, maxInFlight: Int, flush: @escaping Flush) {
        self.maxBatch = maxBatch
        self.maxInFlight = maxInFlight
        self.flush = flush
    }

    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            queue.append((input, continuation))
            if inFlight < maxInFlight {
                inFlight += 1
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            let inputs = batch.map(\.0)
            let outcome = await DatabaseDeadline.run { [flush] in try await flush(inputs) }
            switch outcome {
            case .success(let outputs):
                for (item, output) in zip(batch, outputs) { item.1.resume(returning: output) }
            case .failure(let error):
                for item in batch { item.1.resume(throwing: error) }
            }
        }
        inFlight -= 1
    }
}

/// How long a database call may take before its callers are answered with an error. Found by ops/chaos/run: a call
/// in flight when PostgreSQL restarted never returned, which wedged its batch, the incident's actor behind it and
/// graceful shutdown. The abandoned call may still finish: a commit then stands (the next command on that incident
/// sees the newer version), a creation is found again by its dedup key.
enum DatabaseDeadline {
    static let limit: Duration = .seconds(30)

    /// `work`'s result, or a failure once `limit` has passed (the work is left to end on its own).
    static func run<T: Sendable>(_ limit: Duration = limit, _ work: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        let once = Once()
        return await withCheckedContinuation { continuation in
            let timer = Task {
                // Cancelled as soon as the work ends (a batch takes milliseconds): no sleeper outlives its call.
                guard (try? await Task.sleep(for: limit)) != nil, once.claim() else { return }
                continuation.resume(returning: .failure(EngineError(message: "the database did not answer within \(limit)")))
            }
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                timer.cancel()
                if once.claim() { continuation.resume(returning: result) }
            }
        }
    }
}

/// True for the first caller of `claim` only.
final class Once: Sendable {
    private let claimed = Atomic<Bool>(false)
    func claim() -> Bool { claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged }
}

/// The engine's coalescers: incident reads (activating actors), new incidents, and changes to incidents.
struct GroupCommit: Sendable {
    let loads: Coalescer<UUID, IncidentRecord?>
    let creates: Coalescer<IncidentStore.Creation, IncidentStore.CreationResult>
    let commits: Coalescer<IncidentStore.BatchItem, Bool>

    init(store: IncidentStore) {
        loads = Coalescer(maxBatch: 512, maxInFlight: 2) { ids in
            let found = try await store.incidents(ids: ids)
            return ids.map { found[$0] }
        }
        creates = Coalescer(maxBatch: 256, maxInFlight: 4) { items in
            try await store.createBatch(items)
        }
        commits = Coalescer(maxBatch: 256, maxInFlight: 4) { items in
            try await store.commitBatch(items)
        }
    }
}
