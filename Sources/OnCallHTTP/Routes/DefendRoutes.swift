import Foundation
import HTTPTypes
import Logging
public import Hummingbird
public import OnCallCore
public import OnCallEngine
import OnCallParsers
public import OnCallStore

/// `POST /api/internal/defend/escalations`: the EDR's escalations, authenticated with `X-Service-Key` =
/// `DEFEND_SERVICE_KEY` (constant time; 401 also when the key is not set here). Critical and high open (or
/// fold into) an incident on the tenant's `defend` route, keyed on the threat id; lower severities answer
/// 202 `{"action":"ignored"}` and are counted in the alerts log.
public struct DefendRoutes: Sendable {
    let serviceKey: Secret?
    let domain: DomainStore
    let engine: IncidentEngine
    let alertLog: AlertLog
    let clock: @Sendable () -> Timestamp

    public init(serviceKey: Secret?, domain: DomainStore, engine: IncidentEngine, alertLog: AlertLog, clock: @escaping @Sendable () -> Timestamp) {
        self.serviceKey = serviceKey
        self.domain = domain
        self.engine = engine
        self.alertLog = alertLog
        self.clock = clock
    }

    public func register(on router: Router<OnCallRequestContext>) {
        router.post("api/internal/defend/escalations") { request, context -> Response in
            let source = SourceLabel()
            source.set("defend")
            return try await engine.metrics.countingWebhook(source) { try await receive(request, context) }
        }
    }

    func receive(_ request: Request, _ context: OnCallRequestContext) async throws -> Response {
        let presented = request.headers[HTTPField.Name("X-Service-Key")!] ?? ""
        guard let serviceKey, ConstantTime.equals(presented, serviceKey.value) else {
            // Defend holding a wrong key is a broken integration; a missing one is a stray caller.
            if !presented.isEmpty { engine.health.failure("defend", error: "an escalation came with a wrong X-Service-Key (401)") }
            throw APIError(.unauthorized, message: "missing or wrong X-Service-Key")
        }
        let body = Array(buffer: try await request.body.collect(upTo: WebhookRoutes.maximumBody))
        let escalation: DefendEscalation
        do throws(ParseError) {
            escalation = try DefendEscalation.parse(body)
        } catch {
            throw APIError(.unprocessableContent, message: error.message)
        }
        let now = clock()
        func logged(_ action: String, _ incident: UUID?, dedupKey: String?) async {
            let entry = AlertLog.Entry(
                tenantID: escalation.tenantID, integrationID: nil, source: "defend", action: action, dedupKey: dedupKey,
                incidentID: incident, receivedAt: now, contentType: request.headers[.contentType]
            )
            do { try await alertLog.record([entry], payload: body) } catch { alertLog.logger.warning("could not log a Defend escalation: \(error)") }
        }
        guard escalation.opensIncident else {
            if try await domain.load(tenantID: escalation.tenantID) != nil { await logged("ignored", nil, dedupKey: "defend:\(escalation.threatID)") }
            return Self.answer(#"{"action":"ignored","dedup_key":\#(JSONText.quoted("defend:\(escalation.threatID)")),"incident_id":null,"deduplicated":false,"reason":"\#(escalation.severity.rawValue) severity: only critical and high open incidents"}"#)
        }
        engine.health.success("defend", tenantID: escalation.tenantID)
        guard let service = try await domain.route(tenantID: escalation.tenantID, source: .defend) else {
            engine.health.failure("defend", tenantID: escalation.tenantID, error: "no route for defend alerts: an escalation was refused (422)")
            throw APIError(.unprocessableContent, message: "tenant '\(escalation.tenantID)' has no route for defend alerts (routes.defend in its configuration)")
        }
        let outcome = try await engine.ingest([escalation.alert], tenantID: escalation.tenantID, serviceID: service, actor: "defend").first!
        await logged("trigger", outcome.incidentID, dedupKey: outcome.dedupKey)
        return Self.answer(
            #"{"action":"trigger","dedup_key":\#(outcome.dedupKey.map(JSONText.quoted) ?? "null"),"#
                + #""incident_id":\#(outcome.incidentID.map { JSONText.quoted($0.uuidString.lowercased()) } ?? "null"),"deduplicated":\#(outcome.deduplicated)}"#
        )
    }

    static func answer(_ text: String) -> Response {
        Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
