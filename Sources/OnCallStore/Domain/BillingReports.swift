public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// The queue of daily Hub Billing reports (docs/hub.md): each tenant's distinct active technicians per
/// complete UTC day, queued once per (tenant, day) by whichever node gets there first, claimed with a lease
/// and sent until the Hub has it.
public struct BillingReports: Sendable {
    public struct Report: Sendable, Equatable {
        public var tenantID: String
        /// `YYYY-MM-DD`, UTC.
        public var day: String
        public var activeTechnicians: Int
        /// Including this one.
        public var attempts: Int
    }

    /// Days missed while no node ran are caught up, at most this far back.
    public static let catchUpDays = 35

    public let client: PostgresClient
    public let logger: Logger
    public let node: String

    public init(client: PostgresClient, logger: Logger, node: String) {
        self.client = client
        self.logger = logger
        self.node = node
    }

    /// Queues every complete UTC day before `now`'s that has no report yet, for every tenant, from the day it
    /// was created (at most ``catchUpDays`` back); returns how many were queued.
    @discardableResult
    public func enqueue(now: Timestamp) async throws -> Int {
        var queued = 0
        for try await _ in try await client.query(
            """
            WITH today AS (SELECT (\(now.date)::timestamptz AT TIME ZONE 'UTC')::date AS d)
            INSERT INTO billing_reports (tenant_id, day, active_technicians, next_attempt_at)
            SELECT t.id, g.at::date,
                   (SELECT count(*) FROM technician_activity a WHERE a.tenant_id = t.id AND a.day = g.at::date), \(now.date)::timestamptz
            FROM tenants t CROSS JOIN today
            CROSS JOIN LATERAL generate_series(
                GREATEST((t.created_at AT TIME ZONE 'UTC')::date, today.d - \(Int32(Self.catchUpDays))::int), today.d - 1, interval '1 day') AS g(at)
            ON CONFLICT (tenant_id, day) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        ) { queued += 1 }
        return queued
    }

    /// Claims up to `limit` reports due now, with a lease.
    public func claim(limit: Int, lease: Duration, now: Timestamp) async throws -> [Report] {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        var reports: [Report] = []
        for try await (tenant, day, count, attempts) in try await client.query(
            """
            UPDATE billing_reports SET locked_until = \(now.date)::timestamptz + make_interval(secs => \(seconds)), locked_by = \(node), attempts = attempts + 1
            WHERE (tenant_id, day) IN (
                SELECT tenant_id, day FROM billing_reports
                WHERE status = 'pending' AND next_attempt_at <= \(now.date) AND (locked_until IS NULL OR locked_until < \(now.date))
                ORDER BY day, tenant_id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING tenant_id, day::text, active_technicians, attempts
            """,
            logger: logger
        ).decode((String, String, Int32, Int32).self) {
            reports.append(Report(tenantID: tenant, day: day, activeTechnicians: Int(count), attempts: Int(attempts)))
        }
        return reports.sorted { ($0.day, $0.tenantID) < ($1.day, $1.tenantID) }
    }

    public func sent(_ report: Report) async throws {
        try await client.query(
            """
            UPDATE billing_reports SET status = 'sent', sent_at = now(), locked_until = NULL, locked_by = NULL, last_error = NULL
            WHERE tenant_id = \(report.tenantID) AND day = \(report.day)::date
            """,
            logger: logger
        )
    }

    public func retry(_ report: Report, after delay: Duration, error: String, now: Timestamp) async throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try await client.query(
            """
            UPDATE billing_reports SET locked_until = NULL, locked_by = NULL, last_error = \(error),
                next_attempt_at = \(now.date)::timestamptz + make_interval(secs => \(seconds))
            WHERE tenant_id = \(report.tenantID) AND day = \(report.day)::date
            """,
            logger: logger
        )
    }

    /// Gives up (ops can retry it): the Hub refused the report itself.
    public func dead(_ report: Report, error: String) async throws {
        try await client.query(
            """
            UPDATE billing_reports SET status = 'dead', locked_until = NULL, locked_by = NULL, last_error = \(error)
            WHERE tenant_id = \(report.tenantID) AND day = \(report.day)::date
            """,
            logger: logger
        )
    }

    /// A report as ops see it.
    public struct Row: Sendable, Equatable {
        public var tenantID: String
        public var day: String
        public var activeTechnicians: Int
        public var status: String
        public var attempts: Int
        public var nextAttemptAt: Date
        public var lastError: String?
    }

    /// A tenant's reports not sent yet (`status` pending or dead; nil: both), oldest day first.
    public func rows(tenantID: String, status: String?, limit: Int = 100) async throws -> [Row] {
        var rows: [Row] = []
        for try await (day, count, status, attempts, next, error) in try await client.query(
            """
            SELECT to_char(day, 'YYYY-MM-DD'), active_technicians, status, attempts, next_attempt_at, last_error FROM billing_reports
            WHERE tenant_id = \(tenantID) AND status <> 'sent' AND (\(status ?? "") = '' OR status = \(status ?? ""))
            ORDER BY day LIMIT \(limit)
            """,
            logger: logger
        ).decode((String, Int32, String, Int32, Date, String?).self) {
            rows.append(Row(tenantID: tenantID, day: day, activeTechnicians: Int(count), status: status, attempts: Int(attempts), nextAttemptAt: next, lastError: error))
        }
        return rows
    }

    /// Sends a tenant's dead reports again now, with fresh attempts; returns how many.
    public func revive(tenantID: String) async throws -> Int {
        var count = 0
        for try await _ in try await client.query(
            """
            UPDATE billing_reports SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL, locked_by = NULL
            WHERE tenant_id = \(tenantID) AND status = 'dead' RETURNING 1
            """,
            logger: logger
        ) { count += 1 }
        return count
    }
}
