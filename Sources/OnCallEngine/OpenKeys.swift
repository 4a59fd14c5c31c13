import Foundation
import OnCallStore
import Synchronization

/// This node's memory of which open incident holds a dedup key, so a repeated alert goes straight to that
/// incident's actor instead of trying an insert or a look-up first.
///
/// It is a hint, never the truth: the actor works on the incident as committed (version-checked), and when it
/// finds the incident closed (resolved here or on another node) the engine forgets the entry and opens or finds
/// the current one. Bounded: when full it starts again empty (the cost is one look-up per key).
final class OpenKeys: Sendable {
    private let entries = Mutex<[OpenKey: UUID]>([:])
    let capacity: Int

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    subscript(key: OpenKey) -> UUID? {
        entries.withLock { $0[key] }
    }

    func remember(_ key: OpenKey, _ id: UUID) {
        entries.withLock { entries in
            if entries.count >= capacity && entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = id
        }
    }

    /// Forgets `key` if it still names `id` (a newer incident may have taken the key meanwhile).
    func forget(_ key: OpenKey, ifStill id: UUID) {
        entries.withLock { entries in
            if entries[key] == id { entries.removeValue(forKey: key) }
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
