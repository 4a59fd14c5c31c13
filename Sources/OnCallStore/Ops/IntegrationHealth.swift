public import Foundation
public import Logging
public import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// Each integration's last success and last error, as this node saw them: noted in memory where the call is
/// made (cheap enough for every page and every token), written to `integration_status` every few seconds,
/// and folded over all nodes for `GET /api/ops/integrations`. Names: `defend`, `rmm`, `security`, `backups`,
/// `hub_events`, `psa`, `hub_sso`, `hub_billing`, `sms`, `email`.
public final class IntegrationHealth: Service, Sendable {
    public struct Entry: Sendable, Equatable {
        public var lastSuccess: Date?
        public var lastErrorAt: Date?
        public var lastError: String?
        public init(lastSuccess: Date? = nil, lastErrorAt: Date? = nil, lastError: String? = nil) {
            self.lastSuccess = lastSuccess
            self.lastErrorAt = lastErrorAt
            self.lastError = lastError
        }
    }

    struct Key: Hashable {
        var tenantID: String
        var name: String
    }

    let client: PostgresClient?
    let logger: Logger
    let node: String
    let interval: Duration
    /// Entries changed since the last write.
    private let pending = Mutex<[Key: Entry]>([:])

    /// Without a client (tools, some tests) it only remembers.
    public init(client: PostgresClient?, logger: Logger, node: String, interval: Duration = .seconds(2)) {
        self.client = client
        self.logger = logger
        self.node = node
        self.interval = interval
    }

    /// `tenantID` nil: the platform's (a peer every tenant shares, such as Hub SSO).
    public func success(_ name: String, tenantID: String? = nil, at date: Date = Date()) {
        pending.withLock { $0[Key(tenantID: tenantID ?? "", name: name), default: Entry()].lastSuccess = date }
    }

    public func failure(_ name: String, tenantID: String? = nil, error: String, at date: Date = Date()) {
        pending.withLock {
            let key = Key(tenantID: tenantID ?? "", name: name)
            $0[key, default: Entry()].lastErrorAt = date
            $0[key, default: Entry()].lastError = String(error.prefix(500))
        }
    }

    /// Writes what changed since the last call (one statement).
    public func flush() async throws {
        guard let client else { return }
        let batch = pending.withLock { pending in
            let batch = pending
            pending = [:]
            return batch
        }
        guard !batch.isEmpty else { return }
        let entries = Array(batch)
        do {
            try await client.query(
                """
                INSERT INTO integration_status AS s (tenant_id, name, node, last_success_at, last_error_at, last_error)
                SELECT t, n, \(node), to_timestamp(NULLIF(ok, -1) / 1000000.0), to_timestamp(NULLIF(err, -1) / 1000000.0), NULLIF(msg, '')
                FROM unnest(\(entries.map(\.key.tenantID))::text[], \(entries.map(\.key.name))::text[], \(entries.map { Self.micros($0.value.lastSuccess) })::bigint[],
                            \(entries.map { Self.micros($0.value.lastErrorAt) })::bigint[], \(entries.map { $0.value.lastError ?? "" })::text[]) AS u(t, n, ok, err, msg)
                ON CONFLICT (tenant_id, name, node) DO UPDATE SET
                    last_success_at = COALESCE(EXCLUDED.last_success_at, s.last_success_at),
                    last_error_at = COALESCE(EXCLUDED.last_error_at, s.last_error_at),
                    last_error = CASE WHEN EXCLUDED.last_error_at IS NULL THEN s.last_error ELSE EXCLUDED.last_error END
                """,
                logger: logger
            )
        } catch {
            // Not lost: merged back under anything newer noted meanwhile, written next time.
            pending.withLock { pending in
                for (key, old) in batch {
                    var entry = pending[key] ?? Entry()
                    if entry.lastSuccess == nil { entry.lastSuccess = old.lastSuccess }
                    if entry.lastErrorAt == nil {
                        entry.lastErrorAt = old.lastErrorAt
                        entry.lastError = old.lastError
                    }
                    pending[key] = entry
                }
            }
            throw error
        }
    }

    /// Every node's record folded: the latest success, the latest error, for the platform and `tenantID`.
    public func read(tenantID: String) async throws -> [String: Entry] {
        guard let client else { return [:] }
        var result: [String: Entry] = [:]
        for try await (name, success, errorAt, error) in try await client.query(
            """
            SELECT name, max(last_success_at),
                   max(last_error_at),
                   (array_agg(last_error ORDER BY last_error_at DESC NULLS LAST))[1]
            FROM integration_status WHERE tenant_id IN ('', \(tenantID)) GROUP BY name
            """,
            logger: logger
        ).decode((String, Date?, Date?, String?).self) {
            result[name] = Entry(lastSuccess: success, lastErrorAt: errorAt, lastError: errorAt == nil ? nil : error)
        }
        return result
    }

    static func micros(_ date: Date?) -> Int64 {
        date.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) } ?? -1
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                do { try await self.flush() } catch { self.logger.debug("integration status not written: \(error)") }
            }
        }
        try? await flush()
    }
}
