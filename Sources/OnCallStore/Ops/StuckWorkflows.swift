public import Foundation
public import Logging
public import PostgresNIO

/// What ops look at when something does not move (docs/ops.md): overdue timers, deliveries retrying or dead,
/// escalations that ran out with nobody acknowledging, commands that keep failing; and the repairs: timers
/// re-armed from the incident's snapshot, failures recorded.
public struct StuckWorkflows: Sendable {
    public enum Reason: String, Sendable, CaseIterable {
        case timerOverdue = "timer_overdue"
        case deliveryRetrying = "delivery_retrying"
        case deliveryDead = "delivery_dead"
        case escalationExhausted = "escalation_exhausted"
        case commandsFailing = "commands_failing"
    }

    public struct Item: Sendable, Equatable {
        public var incidentID: UUID
        public var number: Int64
        public var title: String
        public var serviceID: String
        public var state: String
        public var reason: Reason
        public var detail: String
        /// Since when it is stuck (the timer's due time, the delivery's creation, the last change, the first failure).
        public var since: Date
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The tenant's stuck workflows, longest stuck first. A delivery counts once it failed three times or has
    /// been failing for five minutes (one failed attempt is ordinary: a peer's blip, retried in a second). A timer counts once it is `timerGrace` past due (a
    /// healthy node fires within milliseconds; a dead node's lease runs for `lease`).
    public func list(tenantID: String, timerGrace: Duration = .seconds(60), limit: Int = 200) async throws -> [Item] {
        let graceSeconds = Double(timerGrace.components.seconds) + Double(timerGrace.components.attoseconds) / 1e18
        var items: [Item] = []
        let rows = try await client.query(
            """
            SELECT i.id, i.number, i.title, i.service_id, i.state, s.reason, s.detail, s.since FROM (
                SELECT t.incident_id, 'timer_overdue' AS reason,
                       'timer ' || t.name || ' was due at ' || to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                       || COALESCE(' (claimed by ' || t.claimed_by || ' until ' || to_char(t.claimed_until AT TIME ZONE 'UTC', 'HH24:MI:SS"Z"') || ')', '') AS detail,
                       t.due_at AS since
                FROM incident_timers t WHERE t.tenant_id = \(tenantID) AND t.due_at < now() - make_interval(secs => \(graceSeconds))
                UNION ALL
                SELECT o.incident_id, CASE WHEN o.status = 'dead' THEN 'delivery_dead' ELSE 'delivery_retrying' END,
                       o.kind || ' (outbox ' || o.id || ', ' || o.attempts || CASE WHEN o.attempts = 1 THEN ' attempt' ELSE ' attempts' END
                       || CASE WHEN o.status = 'dead' THEN ', dead' ELSE ', next at ' || to_char(o.next_attempt_at AT TIME ZONE 'UTC', 'HH24:MI:SS"Z"') END
                       || ')' || COALESCE(': ' || o.last_error, ''),
                       o.created_at
                FROM outbox o WHERE o.tenant_id = \(tenantID)
                  AND (o.status = 'dead' OR (o.attempts >= 3 AND o.locked_by IS NULL) OR (o.attempts > 0 AND o.created_at < now() - interval '5 minutes'))
                UNION ALL
                SELECT e.id, 'escalation_exhausted',
                       'every layer paged ' || ((e.snapshot->>'round')::int + 1) || ' time(s), nobody acknowledged', e.updated_at
                FROM incidents e WHERE e.tenant_id = \(tenantID) AND e.is_open AND (e.snapshot->>'exhausted')::bool AND e.state <> 'acknowledged'
                UNION ALL
                SELECT f.incident_id, 'commands_failing', f.command || ' failed ' || f.failures || ' time(s), last: ' || f.last_error, f.first_at
                FROM incident_failures f JOIN incidents fi ON fi.tenant_id = f.tenant_id AND fi.id = f.incident_id
                WHERE f.tenant_id = \(tenantID) AND f.last_at > fi.updated_at
            ) AS s JOIN incidents i ON i.tenant_id = \(tenantID) AND i.id = s.incident_id
            ORDER BY s.since, i.number LIMIT \(limit)
            """,
            logger: logger
        )
        for try await (id, number, title, service, state, reason, detail, since) in rows.decode((UUID, Int64, String, String, String, String, String, Date).self) {
            guard let reason = Reason(rawValue: reason) else { continue }
            items.append(Item(incidentID: id, number: number, title: title, serviceID: service, state: state, reason: reason, detail: detail, since: since))
        }
        return items
    }

    /// Writes the incident's timers again from its snapshot (the source of truth): missing rows come back, leases
    /// of a node that died are dropped, rows the snapshot no longer holds go. Overdue ones fire at once. Returns
    /// how many are armed; nil when the tenant has no such incident. The timeline records who did it.
    public func rearm(tenantID: String, incidentID: UUID, by actor: String) async throws -> Int? {
        try await client.withTransaction(logger: logger) { tx in
            var found = false
            for try await _ in try await tx.query("SELECT 1 FROM incidents WHERE tenant_id = \(tenantID) AND id = \(incidentID) FOR UPDATE", logger: logger) {
                found = true
            }
            guard found else { return nil }
            var armed = 0
            var earliest: Int64?
            for try await due in try await tx.query(
                """
                INSERT INTO incident_timers (tenant_id, incident_id, name, generation, due_at)
                SELECT i.tenant_id, i.id, t.key, (t.value->>'generation')::bigint, to_timestamp((t.value->'dueAt'->>'microseconds')::bigint / 1000000.0)
                FROM incidents i CROSS JOIN LATERAL jsonb_each(i.snapshot->'timers') AS t
                WHERE i.tenant_id = \(tenantID) AND i.id = \(incidentID)
                ON CONFLICT (tenant_id, incident_id, name) DO UPDATE
                    SET generation = EXCLUDED.generation, due_at = EXCLUDED.due_at, claimed_until = NULL, claimed_by = NULL
                RETURNING (extract(epoch FROM due_at) * 1000000)::bigint
                """,
                logger: logger
            ).decode(Int64.self) {
                armed += 1
                earliest = min(earliest ?? due, due)
            }
            try await tx.query(
                """
                DELETE FROM incident_timers t USING incidents i
                WHERE t.tenant_id = \(tenantID) AND t.incident_id = \(incidentID) AND i.tenant_id = t.tenant_id AND i.id = t.incident_id
                  AND NOT (i.snapshot->'timers') ? t.name
                """,
                logger: logger
            )
            try await tx.query(
                """
                INSERT INTO incident_journal (tenant_id, incident_id, sequence, kind, actor, detail, at)
                VALUES (\(tenantID), \(incidentID), NULL, 'timers.rearmed', \(actor), jsonb_build_object('timers', \(String(armed))), now())
                """,
                logger: logger
            )
            if let earliest { try await tx.query("SELECT pg_notify('oncall_timers', \(String(earliest)))", logger: logger) }
            return armed
        }
    }

    /// Counts a failed command on an incident (`timer:layer_timeout`, …); it lists as stuck until the incident
    /// changes again.
    public func recordFailure(tenantID: String, incidentID: UUID, command: String, error: String) async throws {
        try await client.query(
            """
            INSERT INTO incident_failures (tenant_id, incident_id, command, failures, first_at, last_at, last_error)
            VALUES (\(tenantID), \(incidentID), \(command), 1, clock_timestamp(), clock_timestamp(), \(String(error.prefix(500))))
            ON CONFLICT (tenant_id, incident_id, command) DO UPDATE SET
                failures = CASE WHEN incident_failures.last_at > (SELECT updated_at FROM incidents WHERE tenant_id = \(tenantID) AND id = \(incidentID))
                                THEN incident_failures.failures + 1 ELSE 1 END,
                first_at = CASE WHEN incident_failures.last_at > (SELECT updated_at FROM incidents WHERE tenant_id = \(tenantID) AND id = \(incidentID))
                                THEN incident_failures.first_at ELSE clock_timestamp() END,
                last_at = clock_timestamp(), last_error = EXCLUDED.last_error
            """,
            logger: logger
        )
    }
}
