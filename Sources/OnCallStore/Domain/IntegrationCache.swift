import Foundation
import Synchronization

/// Webhook authentication without a database round trip per request: each integration's row (with the hash of
/// its current key, never the key) is kept for `ttl` after it is read, and every key presented is checked
/// against that hash in constant time.
///
/// A change to a tenant (a rotated key, a deleted integration, a new rate) must call ``forget(tenantID:)``: the
/// admin API does on its own node as it commits, and every node does on the `oncall_tenants` notification
/// (milliseconds later). `ttl` bounds the staleness should a notification be lost. Unknown webhook ids are not
/// kept, so a new integration works at once.
public final class IntegrationCache: Sendable {
    struct Entry {
        var record: IntegrationRecord
        var keyHash: [UInt8]
        var expires: ContinuousClock.Instant
        /// One request is reading it again; the others keep using this copy meanwhile.
        var refreshing = false
    }

    struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every forget: a read that started before one must not store what it read.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let domain: DomainStore
    private let ttl: Duration
    private let capacity: Int

    public init(domain: DomainStore, ttl: Duration = .seconds(5), capacity: Int = 10_000) {
        self.domain = domain
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The integration whose webhook URL carries `webhookID`, when `key` is its current key; nil otherwise (no
    /// difference between an unknown id and a wrong key).
    public func authenticate(webhookID: String, key: String) async throws -> IntegrationRecord? {
        let now = ContinuousClock.now
        let (cached, generation) = state.withLock { state -> (Entry?, UInt64) in
            guard var entry = state.entries[webhookID] else { return (nil, state.generation) }
            if entry.expires > now || entry.refreshing { return (entry, state.generation) }
            // Expired: this request reads it again, the others meanwhile use the expiring copy.
            entry.refreshing = true
            state.entries[webhookID] = entry
            return (nil, state.generation)
        }
        if let cached {
            return IntegrationKeys.matches(key, hash: cached.keyHash) ? cached.record : nil
        }
        let found: (IntegrationRecord, keyHash: [UInt8])?
        do {
            found = try await domain.integration(webhookID: webhookID)
        } catch {
            state.withLock { state in state.entries[webhookID]?.refreshing = false }
            throw error
        }
        guard let (record, hash) = found else {
            state.withLock { state in _ = state.entries.removeValue(forKey: webhookID) }
            _ = IntegrationKeys.matches(key, hash: [])
            return nil
        }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[webhookID] = Entry(record: record, keyHash: hash, expires: now + ttl)
        }
        return IntegrationKeys.matches(key, hash: hash) ? record : nil
    }

    /// Drops what is kept of a tenant's integrations (after any change to its set-up).
    public func forget(tenantID: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.record.tenantID != tenantID }
        }
    }

    /// How many integrations are kept now.
    public var count: Int { state.withLock { $0.entries.count } }
}
