import Foundation
public import OnCallCore
public import OnCallStore

/// Turns a transition's effects into outbox rows: one row per contact method of each technician a page
/// reaches, one per lifecycle event, one per PSA call. Each row gets a deterministic idempotency key
/// (incident, snapshot sequence, position), the same however often it is retried.
public struct OutboxPlanner: Sendable {
    public let publicURL: String?
    /// Whether this node can deliver an outbox kind (`page.webhook`, `publish`, `psa.create_ticket`, …). A kind
    /// it cannot deliver (an integration that is not configured, a channel not built yet) gets no outbox row:
    /// the timeline says why instead, in the same commit.
    public let canDeliver: @Sendable (String) -> Bool
    /// Signs each page's one-click acknowledge link.
    public let ackLinks: AckLinks

    public init(publicURL: String?, ackLinks: AckLinks = AckLinks(secret: AckLinks.randomSecret()), canDeliver: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.publicURL = publicURL
        self.ackLinks = ackLinks
        self.canDeliver = canDeliver
    }

    /// The outbox rows of a transition, and the timeline entries for effects nobody here can deliver.
    public struct Plan: Sendable {
        public var outbox: [OutboxDraft]
        public var skipped: [JournalEntry]

        /// The outcome with the skipped effects noted in its journal.
        public func noted(in outcome: WorkflowOutcome) -> WorkflowOutcome {
            var outcome = outcome
            outcome.journal.append(contentsOf: skipped)
            return outcome
        }
    }

    /// - Parameter actor: who caused the transition (a note's author in the PSA).
    public func plan(for effects: [WorkflowEffect], incident: IncidentRecord, service: ServiceContext, now: Timestamp, by actor: String? = nil) -> Plan {
        let all = drafts(for: effects, incident: incident, service: service, now: now, by: actor)
        var plan = Plan(outbox: [], skipped: [])
        // A ticket is asked for on acknowledgement: an incident never acknowledged has none to note or resolve, and
        // a call for one would retry until it became a dead letter.
        let noTicket = incident.acknowledgedAt == nil
        for draft in all {
            if noTicket && (draft.kind == "psa.resolve_ticket" || draft.kind == "psa.add_note") {
                plan.skipped.append(JournalEntry(kind: "psa.skipped", actor: "system", detail: [
                    "kind": draft.kind, "channel": draft.channel, "reason": "no PSA ticket: the incident was never acknowledged",
                ]))
            } else if canDeliver(draft.kind) {
                plan.outbox.append(draft)
            } else if draft.kind == "publish" {
                // No bus: readiness and `oncall doctor` say so once; a timeline entry per event would only add noise.
                continue
            } else {
                let family = String(draft.kind.prefix { $0 != "." })
                plan.skipped.append(JournalEntry(kind: "\(family).skipped", actor: "system", detail: [
                    "kind": draft.kind, "channel": draft.channel, "reason": "nothing delivers '\(draft.kind)' (integration not configured or channel not available)",
                ]))
            }
        }
        return plan
    }

    /// The workflow's view of the service at `now`: layer delays, whether each layer has anyone on call,
    /// timeouts, and whether this incident pages (urgency, maintenance windows).
    public func parameters(for service: ServiceContext, severity: Severity, now: Timestamp) -> WorkflowParameters {
        let paging = service.paging(severity: severity, at: now)
        return WorkflowParameters(
            layers: service.layers.map { .init(delay: $0.delay, covered: !service.onCall(layer: $0.position, at: now).isEmpty) },
            repeatCount: service.repeatCount,
            ackTimeout: service.ackTimeout,
            autoResolve: service.autoResolve,
            shouldPage: paging.shouldPage,
            maintenanceRemaining: paging.quietUntil.map { $0 - now }
        )
    }

    /// A technician's notifications for one page: each notification rule's contact method after its delay, or,
    /// with no rules, every contact method at once.
    static func notifications(for technician: Technician) -> [(method: ContactMethod, delay: Duration)] {
        guard !technician.notificationRules.isEmpty else { return technician.contactMethods.map { ($0, .zero) } }
        return technician.notificationRules.compactMap { rule in
            technician.contactMethods.first { $0.id == rule.contactMethod }.map { ($0, rule.delay) }
        }
    }

    public func drafts(for effects: [WorkflowEffect], incident: IncidentRecord, service: ServiceContext, now: Timestamp, by actor: String? = nil) -> [OutboxDraft] {
        var drafts: [OutboxDraft] = []
        let sequence = incident.snapshot.sequence
        // The row's key (incident, sequence, position) is also a published event's id.
        func add(channel: String, kind: String, notBefore: Timestamp? = nil, payload: (_ key: String) -> [String: JSONValue]) {
            let position = drafts.count + 1
            let key = "\(incident.id.uuidString.lowercased()):\(sequence):\(position)"
            drafts.append(OutboxDraft(
                position: position, channel: channel, kind: kind, payload: JSONValue.object(payload(key)).text, idempotencyKey: key, notBefore: notBefore ?? now
            ))
        }
        for effect in effects {
            switch effect {
            case .page, .pageTechnician:
                let people: [Technician]
                var position: [String: JSONValue] = [:]
                if case .page(let layer, let round) = effect {
                    people = service.onCall(layer: layer, at: now)
                    position = ["layer": .int(layer), "round": .int(round)]
                } else if case .pageTechnician(let id) = effect, let technician = service.technicians[id] {
                    people = [technician]
                    position = ["layer": .int(incident.snapshot.layer), "round": .int(incident.snapshot.round), "reassigned": .bool(true)]
                } else {
                    people = []
                }
                for technician in people {
                    for (method, delay) in Self.notifications(for: technician) {
                        var payload = summary(incident)
                        payload.merge(position) { _, new in new }
                        payload["technician"] = .object(["id": .string(technician.id), "name": .string(technician.name)])
                        payload["contact_method"] = .object(["id": .string(method.id), "type": .string(method.type.rawValue), "address": .string(method.address)])
                        add(channel: "page:\(method.id)", kind: "page.\(method.type.rawValue)", notBefore: now + delay) { key in
                            // The technician's own link: acknowledges as them, once, for a day.
                            if let publicURL {
                                let token = ackLinks.token(tenantID: incident.tenantID, incidentID: incident.id, technicianID: technician.id,
                                                           expires: now + AckLinks.lifetime, nonce: key)
                                payload["acknowledge_url"] = .string("\(publicURL)/ack/\(token)")
                            }
                            return payload
                        }
                    }
                }
            case .publish(let event):
                // Without a bus the row is dropped by plan(): keep its position, skip building the envelope.
                let wanted = canDeliver("publish")
                add(channel: "hub", kind: "publish") { key in
                    wanted ? IncidentEvents.envelope(event, id: key, incident: incident, at: now, publicURL: publicURL) : [:]
                }
            case .psa(let operation, let note):
                var payload: [String: JSONValue] = ["operation": .string(operation.rawValue), "incident": .object(summary(incident))]
                if let note {
                    payload["note"] = .string(note)
                    if let actor { payload["note_by"] = .string(actor) }
                }
                if let by = incident.acknowledgedBy { payload["acknowledged_by"] = .string(by) }
                if let at = incident.acknowledgedAt { payload["acknowledged_at"] = .string(at.iso8601) }
                if let by = incident.resolvedBy { payload["resolved_by"] = .string(by) }
                if let at = incident.resolvedAt { payload["resolved_at"] = .string(at.iso8601) }
                add(channel: "psa", kind: "psa.\(operation.rawValue)") { _ in payload }
            case .cancelPages:
                continue  // done in the commit itself
            }
        }
        return drafts
    }

    func summary(_ incident: IncidentRecord) -> [String: JSONValue] {
        let id = incident.id.uuidString.lowercased()
        var summary: [String: JSONValue] = [
            "incident_id": .string(id),
            "tenant_id": .string(incident.tenantID),
            "number": .int(Int(incident.number)),
            "title": .string(incident.title),
            "severity": .string(incident.severity.rawValue),
            "service_id": .string(incident.serviceID),
            "state": .string(incident.state),
        ]
        if let publicURL { summary["url"] = .string("\(publicURL)/api/incidents/\(id)") }
        return summary
    }
}
