public import Foundation
import OnCallCore
public import OnCallParsers
public import OnCallStore

/// What one alert did: the API answers with these (`action`, `dedup_key`, `incident_id`, `deduplicated`).
public struct AlertOutcome: Sendable, Equatable {
    public var action: NormalizedAlert.Action
    public var dedupKey: String?
    /// Nil when an acknowledge or resolve matched no open incident (a no-op).
    public var incidentID: UUID?
    /// A trigger folded into the open incident with the same key.
    public var deduplicated: Bool

    public init(action: NormalizedAlert.Action, dedupKey: String?, incidentID: UUID?, deduplicated: Bool) {
        self.action = action
        self.dedupKey = dedupKey
        self.incidentID = incidentID
        self.deduplicated = deduplicated
    }
}

extension IncidentEngine {
    /// Applies parsed alerts to a service's incidents, in payload order: a trigger opens an incident or folds
    /// into the open one with its dedup key; an acknowledge or resolve acts on the open incident with its key
    /// (none: a no-op). Each one is committed before this returns, so an answer of 202 loses nothing. A bus
    /// message's `receipt` commits with each change the alerts make (a no-op commits nothing; the caller
    /// acknowledges the message afterwards either way).
    public func ingest(
        _ alerts: [NormalizedAlert], tenantID: String, serviceID: String, actor: String, receipt: BusReceipt? = nil
    ) async throws -> [AlertOutcome] {
        let receipts = receipt.map { [$0] } ?? []
        var outcomes: [AlertOutcome] = []
        for alert in alerts {
            switch alert.action {
            case .trigger:
                var request = TriggerRequest(
                    tenantID: tenantID, serviceID: serviceID, title: alert.title, severity: alert.severity, dedupKey: alert.dedupKey,
                    actor: actor, context: Self.context(of: alert)
                )
                request.receipts = receipts
                let result = try await trigger(request)
                let deduplicated: Bool
                if case .deduplicated = result { deduplicated = true } else { deduplicated = false }
                outcomes.append(AlertOutcome(action: .trigger, dedupKey: result.record.dedupKey, incidentID: result.record.id, deduplicated: deduplicated))
            case .acknowledge, .resolve:
                var incidentID: UUID?
                if let key = alert.dedupKey.map(DedupKey.bounded), let open = try await store.openIncident(tenantID: tenantID, serviceID: serviceID, dedupKey: key) {
                    let event = IncidentEvent(alert.action == .acknowledge ? .acknowledge : .resolve, by: actor)
                    let result = try await act(event, on: open.id, tenantID: tenantID, receipts: receipts)
                    incidentID = result.record?.id ?? open.id
                    if result.record?.isOpen != true { openKeys.forget(OpenKey(tenantID: tenantID, serviceID: serviceID, dedupKey: key), ifStill: open.id) }
                }
                outcomes.append(AlertOutcome(action: alert.action, dedupKey: alert.dedupKey.map(DedupKey.bounded), incidentID: incidentID, deduplicated: false))
            }
        }
        return outcomes
    }

    /// The alert's context as stored with a new incident.
    static func context(of alert: NormalizedAlert) -> IncidentContext {
        IncidentContext(
            source: alert.source,
            description: alert.description,
            device: alert.device,
            links: alert.links.isEmpty ? nil : JSONValue.array(alert.links.map { link in
                var fields: [String: JSONValue] = ["url": .string(link.url)]
                if let text = link.text { fields["text"] = .string(text) }
                return .object(fields)
            }).text,
            details: alert.details.isEmpty ? nil : JSONValue.object(alert.details.mapValues { .string($0) }).text
        )
    }
}
