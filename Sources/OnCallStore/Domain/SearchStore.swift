public import Foundation
public import Logging
public import PostgresNIO

/// `GET /api/search`: one tenant's incidents (title, number, dedup key, device), services, schedules and
/// technicians matching a query, ranked: an exact number or key first, then full-text rank plus trigram
/// similarity (so `backpu` still finds "Backup"). Incidents are searched over the last 180 days and all open
/// ones, without an index on the hot insert path (docs/bridge.md says why).
public struct SearchStore: Sendable {
    public struct Hit: Sendable, Equatable {
        /// `incident`, `service`, `schedule` or `technician`.
        public var kind: String
        public var id: String
        public var title: String
        /// `#42 · critical · open` for incidents; the object's id otherwise.
        public var detail: String
        public var score: Double
    }

    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func search(tenantID: String, query: String, limit: Int) async throws -> [Hit] {
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { return [] }
        let number = Int64(q.hasPrefix("#") ? String(q.dropFirst()) : q) ?? -1
        let pattern = "%" + q.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        let rows = try await client.query(
            """
            WITH q AS (SELECT \(q)::text AS text, plainto_tsquery('simple', \(q)) AS ts)
            SELECT kind, id, title, detail, score::float8 FROM (
                SELECT 'incident' AS kind, i.id::text AS id, i.title,
                       '#' || i.number || ' · ' || i.severity || ' · ' || CASE WHEN i.is_open THEN i.state ELSE 'closed' END AS detail,
                       CASE WHEN i.number = \(number) OR i.dedup_key = q.text THEN 10 ELSE 0 END
                         + ts_rank(to_tsvector('simple', i.title || ' ' || coalesce(i.device, '') || ' ' || coalesce(i.dedup_key, '')), q.ts)
                         + greatest(similarity(i.title, q.text), similarity(coalesce(i.device, ''), q.text))
                         + CASE WHEN i.title ILIKE \(pattern) OR i.device ILIKE \(pattern) THEN 0.5 ELSE 0 END
                         + CASE WHEN i.is_open THEN 0.05 ELSE 0 END AS score
                FROM incidents i, q
                WHERE i.tenant_id = \(tenantID) AND (i.is_open OR i.created_at > now() - interval '180 days')
                  AND (i.number = \(number) OR i.dedup_key = q.text OR i.title ILIKE \(pattern) OR i.device ILIKE \(pattern)
                       OR to_tsvector('simple', i.title || ' ' || coalesce(i.device, '') || ' ' || coalesce(i.dedup_key, '')) @@ q.ts
                       OR similarity(i.title, q.text) > 0.3)
                UNION ALL
                SELECT 'service', s.id, s.name, s.id, greatest(similarity(s.name, q.text), similarity(s.id, q.text)) + CASE WHEN s.name ILIKE \(pattern) OR s.id ILIKE \(pattern) THEN 0.5 ELSE 0 END
                FROM services s, q WHERE s.tenant_id = \(tenantID) AND (s.name ILIKE \(pattern) OR s.id ILIKE \(pattern) OR similarity(s.name, q.text) > 0.3)
                UNION ALL
                SELECT 'schedule', c.id, c.name, c.id, greatest(similarity(c.name, q.text), similarity(c.id, q.text)) + CASE WHEN c.name ILIKE \(pattern) OR c.id ILIKE \(pattern) THEN 0.5 ELSE 0 END
                FROM schedules c, q WHERE c.tenant_id = \(tenantID) AND (c.name ILIKE \(pattern) OR c.id ILIKE \(pattern) OR similarity(c.name, q.text) > 0.3)
                UNION ALL
                SELECT 'technician', t.id, t.name, t.id, greatest(similarity(t.name, q.text), similarity(t.id, q.text)) + CASE WHEN t.name ILIKE \(pattern) OR t.id ILIKE \(pattern) OR t.email ILIKE \(pattern) THEN 0.5 ELSE 0 END
                FROM technicians t, q WHERE t.tenant_id = \(tenantID) AND (t.name ILIKE \(pattern) OR t.id ILIKE \(pattern) OR t.email ILIKE \(pattern) OR similarity(t.name, q.text) > 0.3)
            ) hits
            ORDER BY score DESC, kind, title
            LIMIT \(limit)
            """,
            logger: logger
        )
        var hits: [Hit] = []
        for try await (kind, id, title, detail, score) in rows.decode((String, String, String, String, Double).self) {
            hits.append(Hit(kind: kind, id: id, title: title, detail: detail, score: score))
        }
        return hits
    }
}
