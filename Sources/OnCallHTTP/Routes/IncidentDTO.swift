import Foundation
import Hummingbird
import OnCallCore
import OnCallStore

/// An incident as the API shows it.
struct IncidentDTO: Codable, ResponseEncodable {
    struct Entry: Codable {
        var at: String
        var kind: String
        var actor: String?
        var detail: [String: String]
    }

    var id: String
    var number: Int64
    var tenant_id: String
    var service_id: String
    var workflow: String
    var title: String
    var severity: String
    var dedup_key: String?
    var state: String
    var open: Bool
    var alert_count: Int
    var last_alert_at: String
    var layer: Int
    var round: Int
    var escalation_exhausted: Bool
    /// The technician a reassignment handed it to (until escalation pages a layer again).
    var assigned_to: String?
    /// The escalation policy a reassignment moved it to (absent: the service's own).
    var escalation_policy: String?
    var created_at: String
    var updated_at: String
    var acknowledged_at: String?
    var acknowledged_by: String?
    var resolved_at: String?
    var resolved_by: String?
    var version: Int64
    /// Where the alert came from and what it said beyond the title (shown with the timeline).
    var source: String?
    var description: String?
    var device: String?
    var links: [[String: String]]?
    var details: [String: String]?
    /// The PSA ticket opened on acknowledgement (docs/psa.md), once the PSA made it.
    var psa_ticket_id: String?
    var timeline: [Entry]?

    init(_ record: IncidentRecord, timeline: [JournalRecord]? = nil, context: IncidentContext? = nil) {
        id = record.id.uuidString.lowercased()
        number = record.number
        tenant_id = record.tenantID
        service_id = record.serviceID
        workflow = record.workflow
        title = record.title
        severity = record.severity.rawValue
        dedup_key = record.dedupKey
        state = record.state
        open = record.isOpen
        alert_count = record.snapshot.alertCount
        last_alert_at = record.snapshot.lastAlertAt.iso8601
        layer = record.snapshot.layer
        assigned_to = record.snapshot.assignee
        escalation_policy = record.snapshot.policy
        round = record.snapshot.round
        escalation_exhausted = record.snapshot.exhausted
        created_at = record.createdAt.iso8601
        updated_at = record.updatedAt.iso8601
        acknowledged_at = record.acknowledgedAt?.iso8601
        acknowledged_by = record.acknowledgedBy
        resolved_at = record.resolvedAt?.iso8601
        resolved_by = record.resolvedBy
        version = record.version
        self.timeline = timeline?.map { Entry(at: $0.at.iso8601, kind: $0.kind, actor: $0.actor, detail: $0.detail) }
        source = context?.source
        description = context?.description
        device = context?.device
        links = context?.links.flatMap { try? JSONDecoder().decode([[String: String]].self, from: Data($0.utf8)) }
        details = context?.details.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        psa_ticket_id = context?.psaTicketID
    }
}

/// `POST /api/incidents` and the action bodies.
struct TriggerBody: Decodable {
    var service: String?
    var title: String?
    var severity: String?
    var dedup_key: String?
}

struct NoteBody: Decodable {
    var text: String?
}

struct EscalateBody: Decodable {
    var layer: Int?
}

struct SnoozeBody: Decodable {
    var duration: String?
}

struct TriggerResponse: ResponseEncodable {
    var incident: IncidentDTO
    var deduplicated: Bool
}

struct ReassignBody: Decodable {
    var technician: String?
    var policy: String?
}
