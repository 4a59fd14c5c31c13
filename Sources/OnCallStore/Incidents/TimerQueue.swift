public import Foundation
public import Logging
public import PostgresNIO

/// Durable timers as a work queue: peek the near horizon, claim due rows with a lease.
public struct TimerQueue: Sendable {
    public struct DueTimer: Sendable, Equatable {
        public var tenantID: String
        public var incidentID: UUID
        public var name: String
        public var generation: Int64
        public var dueAt: Date
    }

    public let client: PostgresClient
    public let logger: Logger
    public let node: String

    public init(client: PostgresClient, logger: Logger, node: String) {
        self.client = client
        self.logger = logger
        self.node = node
    }

    /// Due times of unclaimed timers within `horizon` from now, soonest first: the wake-up schedule.
    public func upcoming(within horizon: Duration, limit: Int) async throws -> [Date] {
        let rows = try await client.query(
            """
            SELECT due_at FROM incident_timers
            WHERE due_at <= now() + make_interval(secs => \(Double(horizon.components.seconds)))
              AND (claimed_until IS NULL OR claimed_until < now())
            ORDER BY due_at LIMIT \(limit)
            """,
            logger: logger
        )
        var dues: [Date] = []
        for try await due in rows.decode(Date.self) { dues.append(due) }
        return dues
    }

    /// Claims timers that are due now (overdue ones included), oldest first. A claim is a lease: if the node
    /// dies before the incident commits, the timer is claimable again when the lease runs out.
    public func claimDue(limit: Int, lease: Duration) async throws -> [DueTimer] {
        let rows = try await client.query(
            """
            UPDATE incident_timers t SET claimed_until = now() + make_interval(secs => \(Double(lease.components.seconds))), claimed_by = \(node)
            WHERE t.ctid = ANY(ARRAY(
                SELECT ctid FROM incident_timers
                WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY due_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ))
            RETURNING t.tenant_id, t.incident_id, t.name, t.generation, t.due_at
            """,
            logger: logger
        )
        var timers: [DueTimer] = []
        for try await (tenant, incident, name, generation, due) in rows.decode((String, UUID, String, Int64, Date).self) {
            timers.append(DueTimer(tenantID: tenant, incidentID: incident, name: name, generation: generation, dueAt: due))
        }
        return timers.sorted { $0.dueAt < $1.dueAt }
    }

    /// Gives a claimed timer back at once (its firing failed), so it is retried without waiting for the lease.
    public func release(_ timer: DueTimer) async throws {
        try await client.query(
            """
            UPDATE incident_timers SET claimed_until = NULL, claimed_by = NULL
            WHERE tenant_id = \(timer.tenantID) AND incident_id = \(timer.incidentID) AND name = \(timer.name) AND generation = \(timer.generation)
            """,
            logger: logger
        )
    }
}
