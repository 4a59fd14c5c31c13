public import Foundation
public import Logging
public import PostgresNIO

/// The outbox as a work queue: claim due rows with a lease, then record what delivery did.
public struct OutboxQueue: Sendable {
    /// A claimed row: deliver it, then call ``delivered(_:)``, ``retry(_:after:error:)`` or ``dead(_:error:)``.
    public struct Claim: Sendable, Equatable {
        public var tenantID: String
        public var id: Int64
        public var incidentID: UUID
        public var channel: String
        public var kind: String
        public var payload: String
        public var idempotencyKey: String
        /// Including this one.
        public var attempts: Int
        /// The incident's PSA ticket, if one was created.
        public var psaTicketID: String?
    }

    public let client: PostgresClient
    public let logger: Logger
    /// Who holds the lease (node name), for ops.
    public let node: String

    public init(client: PostgresClient, logger: Logger, node: String) {
        self.client = client
        self.logger = logger
        self.node = node
    }

    /// Claims up to `limit` due rows. A row is due when its time has come, nobody holds a live lease on it, and no
    /// earlier row of the same incident and channel is still waiting (pending or dead): order per incident.
    public func claim(limit: Int, lease: Duration) async throws -> [Claim] {
        let leaseSeconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        let rows = try await client.query(
            """
            UPDATE outbox SET locked_until = now() + make_interval(secs => \(leaseSeconds)), locked_by = \(node), attempts = attempts + 1
            WHERE outbox.ctid = ANY(ARRAY(
                SELECT o.ctid FROM outbox o
                WHERE o.status = 'pending' AND o.next_attempt_at <= now()
                  AND (o.locked_until IS NULL OR o.locked_until < now())
                  AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.incident_id = o.incident_id AND e.channel = o.channel AND e.id < o.id)
                ORDER BY o.next_attempt_at, o.id
                LIMIT \(limit)
                FOR UPDATE OF o SKIP LOCKED
            ))
            RETURNING outbox.tenant_id, outbox.id, outbox.incident_id, outbox.channel, outbox.kind, outbox.payload::text,
                      outbox.idempotency_key, outbox.attempts,
                      (SELECT i.psa_ticket_id FROM incidents i WHERE i.tenant_id = outbox.tenant_id AND i.id = outbox.incident_id)
            """,
            logger: logger
        )
        var claims: [Claim] = []
        for try await (tenant, id, incident, channel, kind, payload, key, attempts, ticket)
            in rows.decode((String, Int64, UUID, String, String, String, String, Int32, String?).self) {
            claims.append(Claim(
                tenantID: tenant, id: id, incidentID: incident, channel: channel, kind: kind, payload: payload, idempotencyKey: key,
                attempts: Int(attempts), psaTicketID: ticket
            ))
        }
        return claims.sorted { $0.id < $1.id }
    }

    /// A finished row and the timeline entry that says so.
    public struct Finished: Sendable {
        public var claim: Claim
        public var journalKind: String
        public var detail: [String: String]
        /// A PSA ticket the delivery created: stored on the incident (its first one stays).
        public var psaTicketID: String?
        public init(claim: Claim, journalKind: String, detail: [String: String], psaTicketID: String? = nil) {
            self.claim = claim
            self.journalKind = journalKind
            self.detail = detail
            self.psaTicketID = psaTicketID
        }
    }

    /// Moves delivered (or skipped) rows out of the hot table into `outbox_delivered` and notes each in its
    /// incident's timeline: one transaction for the whole batch.
    public func delivered(_ finished: [Finished]) async throws {
        guard !finished.isEmpty else { return }
        let tenants = finished.map(\.claim.tenantID), ids = finished.map(\.claim.id)
        let details = try finished.map { try IncidentStore.json($0.detail) }
        try await client.withTransaction(logger: logger) { tx in
            try await tx.query(
                """
                WITH moved AS (
                    DELETE FROM outbox o USING unnest(\(tenants)::text[], \(ids)::bigint[]) AS d(tenant_id, id)
                    WHERE o.tenant_id = d.tenant_id AND o.id = d.id AND o.locked_by = \(node)
                    RETURNING o.*
                )
                INSERT INTO outbox_delivered (tenant_id, id, incident_id, channel, kind, payload, idempotency_key, attempts, created_at, delivered_at)
                SELECT tenant_id, id, incident_id, channel, kind, payload, idempotency_key, attempts, created_at, now() FROM moved
                """,
                logger: logger
            )
            try await tx.query(
                """
                INSERT INTO incident_journal (tenant_id, incident_id, sequence, kind, actor, detail, at)
                SELECT t, i, NULL, k, 'system', d::jsonb, now()
                FROM unnest(\(tenants)::text[], \(finished.map(\.claim.incidentID))::uuid[], \(finished.map(\.journalKind))::text[], \(details)::text[])
                     WITH ORDINALITY AS j(t, i, k, d, n)
                ORDER BY n
                """,
                logger: logger
            )
            let tickets = finished.filter { $0.psaTicketID != nil }
            if !tickets.isEmpty {
                try await tx.query(
                    """
                    UPDATE incidents i SET psa_ticket_id = t.ticket
                    FROM unnest(\(tickets.map(\.claim.tenantID))::text[], \(tickets.map(\.claim.incidentID))::uuid[], \(tickets.map { $0.psaTicketID! })::text[])
                         AS t(tenant_id, incident_id, ticket)
                    WHERE i.tenant_id = t.tenant_id AND i.id = t.incident_id AND i.psa_ticket_id IS NULL
                    """,
                    logger: logger
                )
            }
        }
    }

    /// Takes the right to message a contact method now: nil when taken (no message in the last `window`, on any
    /// node), else when it frees up.
    public func takeThrottle(tenantID: String, contactMethodID: String, window: Duration) async throws -> Date? {
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        for try await _ in try await client.query(
            """
            INSERT INTO page_throttle (tenant_id, contact_method_id, last_sent_at) VALUES (\(tenantID), \(contactMethodID), now())
            ON CONFLICT (tenant_id, contact_method_id) DO UPDATE SET last_sent_at = now()
            WHERE page_throttle.last_sent_at <= now() - make_interval(secs => \(seconds))
            RETURNING 1
            """,
            logger: logger
        ) { return nil }
        for try await free in try await client.query(
            """
            SELECT last_sent_at + make_interval(secs => \(seconds)) FROM page_throttle
            WHERE tenant_id = \(tenantID) AND contact_method_id = \(contactMethodID)
            """,
            logger: logger
        ).decode(Date.self) { return free }
        return nil
    }

    /// Gives the right back after a message that did not go (nothing reached the technician).
    public func releaseThrottle(tenantID: String, contactMethodID: String) async throws {
        try await client.query(
            "UPDATE page_throttle SET last_sent_at = '-infinity' WHERE tenant_id = \(tenantID) AND contact_method_id = \(contactMethodID)",
            logger: logger
        )
    }

    /// Puts claimed rows back until `date` without counting the attempt (they wait for a throttle, they did not fail).
    public func postpone(_ claims: [Claim], until date: Date) async throws {
        guard !claims.isEmpty else { return }
        try await client.query(
            """
            UPDATE outbox SET attempts = greatest(attempts - 1, 0), locked_until = NULL, locked_by = NULL, next_attempt_at = \(date)
            FROM unnest(\(claims.map(\.tenantID))::text[], \(claims.map(\.id))::bigint[]) AS p(tenant_id, id)
            WHERE outbox.tenant_id = p.tenant_id AND outbox.id = p.id AND outbox.locked_by = \(node)
            """,
            logger: logger
        )
    }

    /// Releases the lease and schedules another attempt.
    public func retry(_ claim: Claim, after delay: Duration, error: String) async throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try await client.query(
            """
            UPDATE outbox SET locked_until = NULL, locked_by = NULL, last_error = \(error),
                next_attempt_at = now() + make_interval(secs => \(seconds))
            WHERE tenant_id = \(claim.tenantID) AND id = \(claim.id)
            """,
            logger: logger
        )
    }

    /// Gives up on a row: it stays, as a dead letter, until ops retry it; later rows of its channel wait behind it.
    public func dead(_ claim: Claim, error: String) async throws {
        let detailJSON = try IncidentStore.json(["kind": claim.kind, "channel": claim.channel, "error": error, "attempts": String(claim.attempts)])
        try await client.withTransaction(logger: logger) { tx in
            try await tx.query(
                "UPDATE outbox SET status = 'dead', locked_until = NULL, locked_by = NULL, last_error = \(error) WHERE tenant_id = \(claim.tenantID) AND id = \(claim.id)",
                logger: logger
            )
            try await journal(tx, claim, kind: "delivery.dead", detail: detailJSON)
        }
    }

    private func journal(_ tx: PostgresConnection, _ claim: Claim, kind: String, detail: String) async throws {
        try await tx.query(
            """
            INSERT INTO incident_journal (tenant_id, incident_id, sequence, kind, actor, detail, at)
            VALUES (\(claim.tenantID), \(claim.incidentID), NULL, \(kind), 'system', \(detail)::jsonb, now())
            """,
            logger: logger
        )
    }

    /// When the next pending row becomes due (for sleeping until then), if any.
    public func nextDue() async throws -> Date? {
        let rows = try await client.query("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'", logger: logger)
        for try await due in rows.decode(Date?.self) { return due }
        return nil
    }

    /// Delivered rows older than `age` leave the archive.
    public func prune(olderThan age: Duration) async throws {
        try await client.query("DELETE FROM outbox_delivered WHERE delivered_at < now() - make_interval(secs => \(Double(age.components.seconds)))", logger: logger)
    }
}
