import Foundation
public import Hummingbird
public import OnCallCore
public import OnCallEngine
public import OnCallStore

/// Ops (docs/ops.md): stuck workflows and their repairs, the outbox and dead letters, Hub Billing reports, and
/// integration health — for the caller's tenant. `OPS_API_KEY` with `X-Tenant-Id`, or a manager or owner's Hub token.
public struct OpsRoutes: Sendable {
    let auth: Authenticator
    let queue: OutboxQueue
    let engine: IncidentEngine
    let integrations: [IntegrationStatus]
    let billing: BillingReports?

    /// - Parameter integrations: what this server has configured (``IntegrationReport``).
    public init(auth: Authenticator, queue: OutboxQueue, engine: IncidentEngine, integrations: [IntegrationStatus], billing: BillingReports? = nil) {
        self.auth = auth
        self.queue = queue
        self.engine = engine
        self.integrations = integrations
        self.billing = billing
    }

    public func register(on router: Router<OnCallRequestContext>) {
        router.get("api/ops/workflows") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            let limit = try LimitParameter.parse(request.uri.queryParameters["limit"].map(String.init), default: 200, maximum: 500)
            return jsonResponse(try await stuckJSON(tenantID: principal.tenantID, limit: limit))
        }
        router.post("api/ops/incidents/:id/rearm") { request, context -> Response in
            let principal = try await auth.require(.configure, request)
            let id = try Self.incidentID(context)
            guard let armed = try await engine.rearmTimers(id: id, tenantID: principal.tenantID, by: principal.actor),
                  let record = try await engine.incident(id: id, tenantID: principal.tenantID) else {
                throw APIError(.notFound, message: "no incident \(id.uuidString.lowercased())")
            }
            let incident = String(decoding: try JSONEncoder().encode(IncidentDTO(record)), as: UTF8.self)
            return jsonResponse(#"{"rearmed":\#(armed),"incident":\#(incident)}"#)
        }
        // {"state": "escalating", "reason": "…"}: the source state's exit and the target's entry run; the timeline
        // records who and why. A final state cannot be left.
        router.post("api/ops/incidents/:id/force") { request, context -> IncidentDTO in
            let principal = try await auth.require(.configure, request)
            let id = try Self.incidentID(context)
            let body = try await request.decode(as: ForceBody.self, context: context)
            guard let state = body.state?.trimmingCharacters(in: .whitespaces), !state.isEmpty,
                  let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
                throw APIError(.unprocessableContent, message: "state and reason: both required (the reason goes to the timeline)",
                               problems: [("state", "required"), ("reason", "required")])
            }
            guard let record = try await engine.incident(id: id, tenantID: principal.tenantID) else {
                throw APIError(.notFound, message: "no incident \(id.uuidString.lowercased())")
            }
            let states = engine.states(ofWorkflow: record.workflow) ?? []
            guard states.contains(state) else {
                throw APIError(.unprocessableContent, message: "state: workflow '\(record.workflow)' has no state '\(state)' (it has \(states.joined(separator: ", ")))",
                               problems: [("state", "one of \(states.joined(separator: ", "))")])
            }
            switch try await engine.act(IncidentEvent(.force(state: state, reason: StoredText.clean(String(reason.prefix(1000)))), by: principal.actor), on: id, tenantID: principal.tenantID) {
            case .applied(let record), .unchanged(let record): return IncidentDTO(record)
            case .refused(_, let reason): throw APIError(.conflict, message: reason)
            case .notFound: throw APIError(.notFound, message: "no incident \(id.uuidString.lowercased())")
            }
        }
        router.get("api/ops/integrations") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            return jsonResponse(try await integrationsJSON(tenantID: principal.tenantID))
        }
        // ?status=pending|dead&kind=&limit=
        router.get("api/ops/outbox") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            let status = try Self.status(request)
            let limit = try LimitParameter.parse(request.uri.queryParameters["limit"].map(String.init), default: 200, maximum: 1000)
            let rows = try await queue.rows(tenantID: principal.tenantID, status: status, kind: request.uri.queryParameters["kind"].map(String.init), limit: limit)
            let items = rows.map { row in
                #"{"id":\#(row.id),"incident_id":\#(JSONText.quoted(row.incidentID.uuidString.lowercased())),"channel":\#(JSONText.quoted(row.channel)),"#
                    + #""kind":\#(JSONText.quoted(row.kind)),"status":\#(JSONText.quoted(row.status)),"attempts":\#(row.attempts),"#
                    + #""next_attempt_at":\#(JSONText.quoted(Timestamp(row.nextAttemptAt).iso8601)),"last_error":\#(row.lastError.map(JSONText.quoted) ?? "null"),"#
                    + #""created_at":\#(JSONText.quoted(Timestamp(row.createdAt).iso8601)),"locked_by":\#(row.lockedBy.map(JSONText.quoted) ?? "null")}"#
            }
            return jsonResponse(#"{"outbox":[\#(items.joined(separator: ","))]}"#)
        }
        router.post("api/ops/outbox/:id/retry") { request, context -> Response in
            let principal = try await auth.require(.configure, request)
            guard let id = Int64(try context.parameters.require("id")) else { throw APIError(.notFound, message: "no outbox row with that id") }
            guard try await queue.revive(tenantID: principal.tenantID, id: id, kind: nil, by: principal.actor) == 1 else {
                throw APIError(.conflict, message: "outbox row \(id) is not a dead letter of this tenant (only dead rows are retried)")
            }
            return jsonResponse(#"{"retried":1}"#)
        }
        // ?kind=psa.create_ticket (every kind when absent)
        router.post("api/ops/outbox/retry") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            let kind = request.uri.queryParameters["kind"].map(String.init)
            let count = try await queue.revive(tenantID: principal.tenantID, id: nil, kind: kind, by: principal.actor)
            return jsonResponse(#"{"retried":\#(count)}"#)
        }
        router.get("api/ops/billing") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            let status = try Self.status(request)
            let rows = try await billing?.rows(tenantID: principal.tenantID, status: status) ?? []
            let items = rows.map { row in
                #"{"tenant_id":\#(JSONText.quoted(row.tenantID)),"day":"\#(row.day)","active_technicians":\#(row.activeTechnicians),"#
                    + #""status":\#(JSONText.quoted(row.status)),"attempts":\#(row.attempts),"next_attempt_at":\#(JSONText.quoted(Timestamp(row.nextAttemptAt).iso8601)),"#
                    + #""last_error":\#(row.lastError.map(JSONText.quoted) ?? "null")}"#
            }
            return jsonResponse(#"{"reports":[\#(items.joined(separator: ","))]}"#)
        }
        router.post("api/ops/billing/retry") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            let count = try await billing?.revive(tenantID: principal.tenantID) ?? 0
            return jsonResponse(#"{"retried":\#(count)}"#)
        }
    }

    /// `GET /api/ops/workflows`'s body: the tenant's stuck workflows, longest stuck first.
    func stuckJSON(tenantID: String, limit: Int) async throws -> String {
        let now = Date()
        let items = try await engine.stuck.list(tenantID: tenantID, limit: limit).map { item in
            #"{"incident_id":\#(JSONText.quoted(item.incidentID.uuidString.lowercased())),"number":\#(item.number),"title":\#(JSONText.quoted(item.title)),"#
                + #""service_id":\#(JSONText.quoted(item.serviceID)),"state":\#(JSONText.quoted(item.state)),"reason":"\#(item.reason.rawValue)","#
                + #""detail":\#(JSONText.quoted(item.detail)),"since":\#(JSONText.quoted(Timestamp(item.since).iso8601)),"#
                + #""age_seconds":\#(Int(max(0, now.timeIntervalSince(item.since))))}"#
        }
        return #"{"stuck":[\#(items.joined(separator: ","))]}"#
    }

    /// The integrations ops care about, in the order the issue names them, with what breaks while each fails.
    static let watched: [(name: String, configuredBy: String, impact: String)] = [
        ("defend", "defend", "EDR escalations do not become incidents: nobody is paged for Defend threats."),
        ("rmm", "bus", "RMM alerts (device offline, disk, services) do not arrive: nobody is paged for them."),
        ("security", "bus", "Security product alerts do not arrive: nobody is paged for them."),
        ("backups", "bus", "Backup failures do not arrive: nobody is paged for them."),
        ("hub_events", "bus", "Incident lifecycle events are not published to the Hub (they wait in the outbox and go out in order once it works)."),
        ("psa", "psa", "No ticket on acknowledgement, no notes or resolution in the PSA (they wait in the outbox; dead letters need a retry)."),
        ("hub_sso", "hub_sso", "Technicians cannot sign in with Hub tokens; OPS_API_KEY still opens the API."),
        ("hub_billing", "hub_billing", "Active technicians are not reported to Hub Billing (reports wait and are caught up for 35 days)."),
        ("sms", "sms", "SMS pages do not reach technicians; their other contact methods still do."),
        ("email", "email", "Email pages do not reach technicians; their other contact methods still do."),
    ]

    /// `GET /api/ops/integrations`'s body.
    func integrationsJSON(tenantID: String) async throws -> String {
        let seen = try await engine.health.read(tenantID: tenantID)
        let items = Self.watched.map { watched in
            let status = integrations.first { $0.name == watched.configuredBy }
            let configured = status?.configured ?? false
            let entry = seen[watched.name]
            func time(_ date: Date?) -> String { date.map { JSONText.quoted(Timestamp($0).iso8601) } ?? "null" }
            return #"{"name":"\#(watched.name)","configured":\#(configured),"last_success_at":\#(time(entry?.lastSuccess)),"#
                + #""last_error_at":\#(time(entry?.lastErrorAt)),"last_error":\#(entry?.lastError.map(JSONText.quoted) ?? "null"),"#
                + #""impact":\#(JSONText.quoted(configured ? watched.impact : (status?.impact ?? watched.impact)))}"#
        }
        return #"{"integrations":[\#(items.joined(separator: ","))]}"#
    }

    static func incidentID(_ context: OnCallRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw APIError(.notFound, message: "no incident with that id") }
        return id
    }

    static func status(_ request: Request) throws -> String? {
        guard let status = request.uri.queryParameters["status"].map(String.init) else { return nil }
        guard status == "pending" || status == "dead" else {
            throw APIError(.badRequest, message: "status: pending or dead", problems: [("status", "pending or dead")])
        }
        return status
    }
}

struct ForceBody: Decodable {
    var state: String?
    var reason: String?
}
