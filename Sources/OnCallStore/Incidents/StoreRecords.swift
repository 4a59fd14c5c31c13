public import Foundation
public import OnCallCore

/// An incident as stored: identity, workflow snapshot, and the columns the API shows.
public struct IncidentRecord: Sendable, Equatable {
    public var tenantID: String
    public var id: UUID
    public var number: Int64
    public var serviceID: String
    public var workflow: String
    public var title: String
    public var severity: Severity
    public var dedupKey: String?
    public var isOpen: Bool
    /// Optimistic fencing: the version this copy was read at.
    public var version: Int64
    public var snapshot: IncidentSnapshot
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var acknowledgedAt: Timestamp?
    public var acknowledgedBy: String?
    public var resolvedAt: Timestamp?
    public var resolvedBy: String?

    public var state: String { snapshot.state }

    public init(
        tenantID: String, id: UUID, number: Int64, serviceID: String, workflow: String, title: String, severity: Severity,
        dedupKey: String?, isOpen: Bool, version: Int64, snapshot: IncidentSnapshot, createdAt: Timestamp, updatedAt: Timestamp,
        acknowledgedAt: Timestamp? = nil, acknowledgedBy: String? = nil, resolvedAt: Timestamp? = nil, resolvedBy: String? = nil
    ) {
        self.tenantID = tenantID
        self.id = id
        self.number = number
        self.serviceID = serviceID
        self.workflow = workflow
        self.title = title
        self.severity = severity
        self.dedupKey = dedupKey
        self.isOpen = isOpen
        self.version = version
        self.snapshot = snapshot
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
    }
}

/// What an incident is about beyond its title, written once when it opens (not part of the hot row the
/// actor keeps in memory).
public struct IncidentContext: Sendable, Equatable {
    public var source: String?
    public var description: String?
    public var device: String?
    /// JSON text: `[{"url":…,"text":…}]`.
    public var links: String?
    /// JSON text: `{"name":"text"}`.
    public var details: String?
    /// The PSA's ticket, once its creation was delivered (never written with a new incident).
    public var psaTicketID: String?

    public init(source: String? = nil, description: String? = nil, device: String? = nil, links: String? = nil, details: String? = nil) {
        self.source = source
        self.description = description
        self.device = device
        self.links = links
        self.details = details
    }
}

/// One outbox row to write with a commit.
public struct OutboxDraft: Sendable, Equatable {
    public var position: Int
    /// Delivery order is kept per incident within a channel (`page:<contact method>`, `hub`, `psa`).
    public var channel: String
    public var kind: String
    /// JSON text.
    public var payload: String
    public var idempotencyKey: String
    /// When it may first be sent (later than now for a notification rule's delay).
    public var notBefore: Timestamp

    public init(position: Int, channel: String, kind: String, payload: String, idempotencyKey: String, notBefore: Timestamp) {
        self.position = position
        self.channel = channel
        self.kind = kind
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.notBefore = notBefore
    }
}

/// A timeline entry as read back.
public struct JournalRecord: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var actor: String?
    public var detail: [String: String]
    public var at: Timestamp
}

extension Timestamp {
    public init(_ date: Date) {
        self.init(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// RFC 3339 with milliseconds, UTC: how the API and bus events write instants (one shared, Sendable format
    /// style: timelines format many dates).
    public var iso8601: String { Self.style.format(date) }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

extension Duration {
    var wholeSeconds: Int { Int(components.seconds) }
}
