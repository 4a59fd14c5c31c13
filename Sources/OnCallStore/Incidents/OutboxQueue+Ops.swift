public import Foundation
import PostgresNIO

extension OutboxQueue {
    /// An outbox row as ops see it (never its payload's secrets: payloads hold no keys, but they are left out to
    /// keep the listing small).
    public struct Row: Sendable, Equatable {
        public var id: Int64
        public var incidentID: UUID
        public var channel: String
        public var kind: String
        public var status: String
        public var attempts: Int
        public var nextAttemptAt: Date
        public var lastError: String?
        public var createdAt: Date
        public var lockedBy: String?
    }

    /// A tenant's rows waiting or dead (`status` nil: both), optionally of one kind, oldest first.
    public func rows(tenantID: String, status: String?, kind: String?, limit: Int) async throws -> [Row] {
        var rows: [Row] = []
        for try await (id, incident, channel, kind, status, attempts, next, error, created, locked) in try await client.query(
            """
            SELECT id, incident_id, channel, kind, status, attempts, next_attempt_at, last_error, created_at, locked_by FROM outbox
            WHERE tenant_id = \(tenantID) AND (\(status ?? "") = '' OR status = \(status ?? "")) AND (\(kind ?? "") = '' OR kind = \(kind ?? ""))
            ORDER BY created_at, id LIMIT \(limit)
            """,
            logger: logger
        ).decode((Int64, UUID, String, String, String, Int32, Date, String?, Date, String?).self) {
            rows.append(Row(id: id, incidentID: incident, channel: channel, kind: kind, status: status, attempts: Int(attempts),
                            nextAttemptAt: next, lastError: error, createdAt: created, lockedBy: locked))
        }
        return rows
    }

    /// Sends dead rows again now, with fresh attempts (`id`: one row; else every dead row of `kind`, or all);
    /// each incident's timeline records who did it. Returns how many.
    @discardableResult
    public func revive(tenantID: String, id: Int64?, kind: String?, by actor: String) async throws -> Int {
        try await client.withTransaction(logger: logger) { tx in
            var revived = 0
            for try await _ in try await tx.query(
                """
                WITH revived AS (
                    UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL, locked_until = NULL, locked_by = NULL
                    WHERE tenant_id = \(tenantID) AND status = 'dead' AND (\(id ?? -1) = -1 OR id = \(id ?? -1)) AND (\(kind ?? "") = '' OR kind = \(kind ?? ""))
                    RETURNING tenant_id, incident_id, kind, channel, id
                )
                INSERT INTO incident_journal (tenant_id, incident_id, sequence, kind, actor, detail, at)
                SELECT tenant_id, incident_id, NULL, 'delivery.retried', \(actor),
                       jsonb_build_object('kind', kind, 'channel', channel, 'outbox_id', id::text), now()
                FROM revived
                RETURNING 1
                """,
                logger: logger
            ) { revived += 1 }
            if revived > 0 { try await tx.query("SELECT pg_notify('oncall_outbox', '')", logger: logger) }
            return revived
        }
    }
}
