import Foundation
public import OnCallCore
public import OnCallIntegrations
public import OnCallStore

/// Lifecycle events for the Hub and other products: CloudEvents 1.0 JSON on the bus (docs/bus.md), written to
/// the outbox with the transition that causes them and published in per-incident order.
public enum IncidentEvents {
    public static let source = "theoneoncall-api"

    /// `com.theonestack.oncall.incident.created`, … (the workflow's `publish:` names under the product's prefix).
    public static func type(_ event: LifecycleEvent) -> String { "com.theonestack.oncall.\(event.rawValue)" }

    /// The whole envelope; `id` is the outbox row's key, unique per event and the same on every retry, so
    /// consumers deduplicate on it.
    static func envelope(_ event: LifecycleEvent, id: String, incident: IncidentRecord, at now: Timestamp, publicURL: String?) -> [String: JSONValue] {
        [
            "specversion": .string("1.0"), "id": .string(id), "source": .string(source), "type": .string(type(event)),
            "subject": .string(incident.id.uuidString.lowercased()), "time": .string(now.iso8601), "datacontenttype": .string("application/json"),
            "tenantid": .string(incident.tenantID), "data": .object(view(incident, publicURL: publicURL)),
        ]
    }

    /// The incident as events carry it: the fields `GET /api/incidents/{id}` shows, without the timeline.
    static func view(_ r: IncidentRecord, publicURL: String?) -> [String: JSONValue] {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let id = r.id.uuidString.lowercased()
        var view: [String: JSONValue] = [
            "id": .string(id), "number": .int(Int(r.number)), "tenant_id": .string(r.tenantID), "service_id": .string(r.serviceID),
            "workflow": .string(r.workflow), "title": .string(r.title), "severity": .string(r.severity.rawValue), "dedup_key": text(r.dedupKey),
            "state": .string(r.state), "open": .bool(r.isOpen), "alert_count": .int(r.snapshot.alertCount),
            "last_alert_at": .string(r.snapshot.lastAlertAt.iso8601), "layer": .int(r.snapshot.layer), "round": .int(r.snapshot.round),
            "escalation_exhausted": .bool(r.snapshot.exhausted), "created_at": .string(r.createdAt.iso8601), "updated_at": .string(r.updatedAt.iso8601),
            "acknowledged_at": text(r.acknowledgedAt?.iso8601), "acknowledged_by": text(r.acknowledgedBy),
            "resolved_at": text(r.resolvedAt?.iso8601), "resolved_by": text(r.resolvedBy),
        ]
        if let publicURL { view["url"] = .string("\(publicURL)/api/incidents/\(id)") }
        return view
    }
}

/// Publishes `publish` outbox rows (lifecycle events) on the bus. A message id already on the bus (a retry
/// after a crash) is not added again, so each event is published once.
public struct BusPublishDeliverer: OutboxDeliverer {
    let bus: any MessageBus

    public init(bus: any MessageBus) {
        self.bus = bus
    }

    struct Envelope: Decodable {
        var id: String
        var type: String
        var source: String
        var subject: String?
        var tenantid: String?
    }

    public func deliver(_ delivery: Delivery) async -> DeliveryResult {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(delivery.payload.utf8)) else {
            return .failed(error: "publish row is not a CloudEvents envelope")
        }
        do {
            let added = try await bus.publish(
                id: envelope.id, type: envelope.type, source: envelope.source, subject: envelope.subject, tenantID: envelope.tenantid, json: delivery.payload
            )
            return .delivered(detail: added ? "published \(envelope.type)" : "\(envelope.type) was already on the bus")
        } catch {
            return .retry(error: "bus: \(error)", after: nil)
        }
    }
}
