public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// Every alert received, with its raw payload (cut at 64 KiB on a character boundary) and the incident it
/// reached: what a technician reads to see what a tool really sent.
public struct AlertLog: Sendable {
    public static let maximumPayloadBytes = 64 * 1024

    public struct Entry: Sendable {
        public var tenantID: String
        public var integrationID: String?
        public var source: String
        /// `trigger`, `acknowledge`, `resolve`, or `ignored`.
        public var action: String
        public var dedupKey: String?
        public var incidentID: UUID?
        public var receivedAt: Timestamp
        public var contentType: String?

        public init(
            tenantID: String, integrationID: String?, source: String, action: String, dedupKey: String?, incidentID: UUID?,
            receivedAt: Timestamp, contentType: String?
        ) {
            self.tenantID = tenantID
            self.integrationID = integrationID
            self.source = source
            self.action = action
            self.dedupKey = dedupKey
            self.incidentID = incidentID
            self.receivedAt = receivedAt
            self.contentType = contentType
        }
    }

    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records the alerts of one request (one row each, sharing its payload) in one statement.
    public func record(_ entries: [Entry], payload: [UInt8]) async throws {
        let text = Self.clipped(payload)
        try await insert(entries.map { ($0, text, Int32(payload.count)) })
    }

    /// Rows of any number of requests in one statement.
    func insert(_ rows: [(entry: Entry, payload: String, bytes: Int32)]) async throws {
        guard !rows.isEmpty else { return }
        let entries = rows.map(\.entry)
        try await client.query(
            """
            INSERT INTO alerts (tenant_id, integration_id, source, action, dedup_key, incident_id, received_at, content_type, payload, payload_bytes)
            SELECT tenant_id, NULLIF(integration_id, ''), source, action, NULLIF(dedup_key, ''), NULLIF(incident_id, '')::uuid, to_timestamp(received_us / 1000000.0),
                   NULLIF(content_type, ''), payload, payload_bytes
            FROM unnest(\(entries.map(\.tenantID))::text[], \(entries.map { $0.integrationID ?? "" })::text[], \(entries.map(\.source))::text[],
                        \(entries.map(\.action))::text[], \(entries.map { $0.dedupKey ?? "" })::text[], \(entries.map { $0.incidentID?.uuidString ?? "" })::text[],
                        \(entries.map(\.receivedAt.microseconds))::bigint[], \(entries.map { $0.contentType ?? "" })::text[],
                        \(rows.map(\.payload))::text[], \(rows.map(\.bytes))::int[])
                 AS e(tenant_id, integration_id, source, action, dedup_key, incident_id, received_us, content_type, payload, payload_bytes)
            """,
            logger: logger
        )
    }

    /// The payload as text, cut on a character boundary at 64 KiB (invalid UTF-8 replaced).
    static func clipped(_ payload: [UInt8]) -> String {
        let text = String(decoding: payload, as: UTF8.self)
        guard text.utf8.count > maximumPayloadBytes else { return text }
        var bytes = 0
        var end = text.startIndex
        for character in text {
            let width = character.utf8.count
            guard bytes + width <= maximumPayloadBytes else { break }
            bytes += width
            end = text.index(after: end)
        }
        return String(text[..<end])
    }
}
