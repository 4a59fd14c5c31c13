public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// Heartbeat integrations' check-ins and the overdue ones: rows claimed with `SKIP LOCKED` and a lease, so
/// several nodes share the work and a crashed node's claim runs out.
public struct Heartbeats: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records a check-in: the next one is due after `interval + grace`. Returns whether the heartbeat had been
    /// missed (its incident should now be resolved).
    public func checkIn(tenantID: String, integrationID: String, interval: Duration, grace: Duration, at now: Timestamp) async throws -> (wasMissed: Bool, due: Timestamp) {
        let due = now + interval + grace
        let wasMissed: Bool = try await client.withTransaction(logger: logger) { tx in
            var missed = false
            for try await value in try await tx.query(
                "SELECT missed FROM heartbeats WHERE tenant_id = \(tenantID) AND integration_id = \(integrationID) FOR UPDATE", logger: logger
            ).decode(Bool.self) { missed = value }
            try await tx.query(
                """
                INSERT INTO heartbeats (tenant_id, integration_id, last_check_in, due_at, missed) VALUES (\(tenantID), \(integrationID), \(now.date), \(due.date), false)
                ON CONFLICT (tenant_id, integration_id) DO UPDATE SET last_check_in = excluded.last_check_in, due_at = excluded.due_at,
                    missed = false, claimed_until = NULL, claimed_by = NULL
                """,
                logger: logger
            )
            return missed
        }
        return (wasMissed, due)
    }

    /// A heartbeat whose check-in is overdue, claimed by this node.
    public struct Overdue: Sendable {
        public var tenantID: String
        public var integrationID: String
        public var serviceID: String
        public var lastCheckIn: Timestamp
        public var due: Timestamp
    }

    /// Claims up to `limit` overdue heartbeats for `lease`. `claim` must be unique to this claim (a check-in
    /// clears it, which is how ``markMissed(_:claim:)`` tells that one came in meanwhile).
    public func claimOverdue(claim node: String, lease: Duration, limit: Int = 100) async throws -> [Overdue] {
        let rows = try await client.query(
            """
            UPDATE heartbeats h SET claimed_until = now() + make_interval(secs => \(Double(lease.components.seconds))), claimed_by = \(node)
            FROM (SELECT tenant_id, integration_id FROM heartbeats
                  WHERE NOT missed AND due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                  ORDER BY due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) d, integrations i
            WHERE h.tenant_id = d.tenant_id AND h.integration_id = d.integration_id AND i.tenant_id = h.tenant_id AND i.id = h.integration_id
              AND i.service_id IS NOT NULL
            RETURNING h.tenant_id, h.integration_id, i.service_id, h.last_check_in, h.due_at
            """,
            logger: logger
        )
        var overdue: [Overdue] = []
        for try await (tenant, integration, service, last, due) in rows.decode((String, String, String, Date, Date).self) {
            overdue.append(Overdue(tenantID: tenant, integrationID: integration, serviceID: service, lastCheckIn: Timestamp(last), due: Timestamp(due)))
        }
        return overdue
    }

    /// Marks a claimed heartbeat missed once its incident is open. False when a check-in came in meanwhile
    /// (it cleared the claim; the incident just opened must then be resolved).
    public func markMissed(_ heartbeat: Overdue, claim: String) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE heartbeats SET missed = true, claimed_until = NULL, claimed_by = NULL
            WHERE tenant_id = \(heartbeat.tenantID) AND integration_id = \(heartbeat.integrationID) AND claimed_by = \(claim) AND NOT missed
            RETURNING 1
            """,
            logger: logger
        )
        for try await _ in rows { return true }
        return false
    }

    /// When the next heartbeat falls due (nil: none armed).
    public func nextDue() async throws -> Timestamp? {
        for try await due in try await client.query("SELECT min(due_at) FROM heartbeats WHERE NOT missed", logger: logger).decode(Date?.self) {
            return due.map(Timestamp.init)
        }
        return nil
    }
}
