public import Foundation
public import OnCallCore
import PostgresNIO

extension IncidentStore {
    /// What `GET /api/incidents` may narrow by; empty lists mean "any".
    public struct Filter: Sendable, Equatable {
        public var states: [String] = []
        public var open: Bool?
        public var services: [String] = []
        public var severities: [Severity] = []
        public var sources: [String] = []
        public var since: Timestamp?
        /// Part of the title or dedup key (case-insensitive), or `#42` / `42` for an incident number.
        public var text: String?
        /// Open ones, and closed ones changed at or after this instant ("active and recent").
        public var activeOrChangedSince: Timestamp?

        public init() {}
    }

    /// A page of a tenant's incidents, newest first (by number), those numbered below `before` when given.
    public func list(tenantID: String, filter: Filter, before: Int64?, limit: Int) async throws -> [IncidentRecord] {
        let text = filter.text?.trimmingCharacters(in: .whitespaces) ?? ""
        let number = Int64(text.hasPrefix("#") ? String(text.dropFirst()) : text) ?? -1
        let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM incidents \(unescaped: SnapshotColumns.timersJoin)
            WHERE tenant_id = \(tenantID) AND number < \(before ?? Int64.max)
              AND (cardinality(\(filter.states)::text[]) = 0 OR state = ANY(\(filter.states)::text[]))
              AND (\(filter.open.map { $0 ? 1 : 0 } ?? -1) = -1 OR is_open = (\(filter.open.map { $0 ? 1 : 0 } ?? -1) = 1))
              AND (cardinality(\(filter.services)::text[]) = 0 OR service_id = ANY(\(filter.services)::text[]))
              AND (cardinality(\(filter.severities.map(\.rawValue))::text[]) = 0 OR severity = ANY(\(filter.severities.map(\.rawValue))::text[]))
              AND (cardinality(\(filter.sources)::text[]) = 0 OR source = ANY(\(filter.sources)::text[]))
              AND created_at >= to_timestamp(\((filter.since?.microseconds ?? 0)) / 1000000.0)
              AND (\(filter.activeOrChangedSince == nil) OR is_open OR updated_at >= to_timestamp(\((filter.activeOrChangedSince?.microseconds ?? 0)) / 1000000.0))
              AND (\(text) = '' OR number = \(number) OR title ILIKE \(pattern) OR dedup_key ILIKE \(pattern))
            ORDER BY number DESC
            LIMIT \(limit)
            """,
            logger: logger
        )
        var records: [IncidentRecord] = []
        for try await row in rows { records.append(try Self.record(row)) }
        return records
    }
}
