import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
public import OnCallEngine
import OnCallStore

/// The technician API for incidents: open by hand, read with the timeline, acknowledge, resolve, add a note.
/// Callers authenticate with a Hub token (or the operator key); the tenant is always the caller's.
public struct IncidentRoutes: Sendable {
    let engine: IncidentEngine
    let auth: Authenticator

    public init(engine: IncidentEngine, auth: Authenticator) {
        self.engine = engine
        self.auth = auth
    }

    public func register(on router: Router<OnCallRequestContext>) {
        registerAckLinks(on: router)
        let incidents = router.group("api/incidents")
        incidents.post { request, context -> Response in
            let caller = try await auth.require(.respond, request)
            let body = try await request.decode(as: TriggerBody.self, context: context)
            guard let service = body.service, !service.isEmpty else { throw APIError(.unprocessableContent, message: "service: required") }
            guard let title = body.title?.trimmingCharacters(in: .whitespacesAndNewlines), !title.isEmpty else {
                throw APIError(.unprocessableContent, message: "title: required")
            }
            var severity = Severity.medium
            if let text = body.severity {
                guard let parsed = Severity(rawValue: text.lowercased()) else {
                    throw APIError(.unprocessableContent, message: "severity: one of critical, high, medium, low, info")
                }
                severity = parsed
            }
            let result: IncidentEngine.TriggerResult
            do {
                result = try await engine.trigger(.init(
                    tenantID: caller.tenantID, serviceID: service, title: StoredText.clean(title), severity: severity, dedupKey: StoredText.clean(body.dedup_key), actor: caller.actor
                ))
            } catch let error as IncidentEngine.UnknownService {
                throw APIError(.unprocessableContent, message: "service: '\(error.serviceID)' does not exist")
            }
            let deduplicated: Bool
            if case .deduplicated = result { deduplicated = true } else { deduplicated = false }
            return try TriggerResponse(incident: IncidentDTO(result.record), deduplicated: deduplicated)
                .response(from: request, context: context)
                .withStatus(deduplicated ? .ok : .created)
        }
        incidents.get { request, _ -> Response in
            let caller = try await auth.require(.read, request)
            return try await list(request, tenantID: caller.tenantID)
        }
        incidents.get(":id") { request, context -> IncidentDTO in
            let caller = try await auth.require(.read, request)
            let id = try incidentID(context)
            guard let record = try await engine.incident(id: id, tenantID: caller.tenantID) else { throw notFound(id) }
            return IncidentDTO(
                record, timeline: try await engine.timeline(id: id, tenantID: caller.tenantID),
                context: try await engine.store.context(tenantID: caller.tenantID, incidentID: id)
            )
        }
        incidents.post(":id/acknowledge") { request, context in
            try await act(.acknowledge, try await auth.require(.respond, request), context)
        }
        incidents.post(":id/resolve") { request, context in
            try await act(.resolve, try await auth.require(.respond, request), context)
        }
        incidents.post(":id/unacknowledge") { request, context in
            try await act(.unacknowledge, try await auth.require(.respond, request), context)
        }
        // {"layer": N}: pages that layer of the policy now (409 when the policy has no such layer).
        incidents.post(":id/escalate") { request, context in
            let caller = try await auth.require(.respond, request)
            let body = try await request.decode(as: EscalateBody.self, context: context)
            guard let layer = body.layer, layer >= 1 else {
                throw APIError(.unprocessableContent, message: "layer: required, a layer number from 1", problems: [("layer", "required, from 1")])
            }
            return try await act(.escalate(layer: layer), caller, context)
        }
        // {"duration": "30m"}: quiet until then; escalation starts again if it is still acknowledged.
        incidents.post(":id/snooze") { request, context in
            let caller = try await auth.require(.respond, request)
            let body = try await request.decode(as: SnoozeBody.self, context: context)
            guard let text = body.duration, let duration = DurationText.parse(text), duration > .zero, duration <= .seconds(7 * 86400) else {
                throw APIError(.unprocessableContent, message: "duration: a length such as 30m or 4h, at most 7 days", problems: [("duration", "30m, 4h, … ≤ 7d")])
            }
            return try await act(.snooze(duration), caller, context)
        }
        // {"technician": "bob"} or {"policy": "network"}: bob is paged now (escalation goes on from the current layer
        // if he does not acknowledge), or that policy takes over from its first layer. docs/incidents.md.
        incidents.post(":id/reassign") { request, context in
            let caller = try await auth.require(.respond, request)
            let body = try await request.decode(as: ReassignBody.self, context: context)
            let target: ReassignTarget
            switch (body.technician.flatMap { $0.isEmpty ? nil : $0 }, body.policy.flatMap { $0.isEmpty ? nil : $0 }) {
            case (let technician?, nil): target = .technician(technician)
            case (nil, let policy?): target = .policy(policy)
            default:
                throw APIError(.unprocessableContent, message: "name either technician or policy", problems: [("technician", "either this"), ("policy", "or this")])
            }
            do {
                return try await act(.reassign(target), caller, context)
            } catch let error as APIError where error.status == .conflict && error.message.hasSuffix("does not exist") {
                // An unknown target is the request's fault, not the incident's state.
                throw APIError(.unprocessableContent, message: error.message)
            }
        }
        incidents.post(":id/notes") { request, context in
            let caller = try await auth.require(.respond, request)
            let body = try await request.decode(as: NoteBody.self, context: context)
            guard let text = body.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                throw APIError(.unprocessableContent, message: "text: required")
            }
            return try await act(.note(StoredText.clean(text)), caller, context)
        }
    }

    /// `GET /api/incidents?state=&open=&service=&severity=&source=&since=&text=&limit=&cursor=`: newest first;
    /// lists are comma-separated; `next_cursor` (null on the last page) continues.
    func list(_ request: Request, tenantID: String) async throws -> Response {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        func values(_ name: String) -> [String] {
            (query[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func invalid(_ name: String, _ message: String) -> APIError { APIError(.badRequest, message: "\(name): \(message)", problems: [(name, message)]) }
        var filter = IncidentStore.Filter()
        filter.states = values("state")
        filter.services = values("service")
        filter.sources = values("source")
        filter.severities = try values("severity").map { text in
            guard let severity = Severity(rawValue: text.lowercased()) else { throw invalid("severity", "one of critical, high, medium, low, info, not '\(text)'") }
            return severity
        }
        if let open = query["open"] {
            guard open == "true" || open == "false" else { throw invalid("open", "true or false") }
            filter.open = open == "true"
        }
        if let since = query["since"] {
            guard let date = try? Date(since, strategy: .iso8601) else { throw invalid("since", "an RFC 3339 instant such as 2026-11-29T08:00:00Z") }
            filter.since = Timestamp(date)
        }
        filter.text = query["text"]
        let limit = try LimitParameter.parse(query["limit"], default: 50, maximum: 200)
        var before: Int64?
        if let cursor = query["cursor"] {
            guard cursor.hasPrefix("n"), let number = Int64(cursor.dropFirst()) else { throw invalid("cursor", "not a cursor this API gave") }
            before = number
        }
        let records = try await engine.store.list(tenantID: tenantID, filter: filter, before: before, limit: limit + 1)
        let page = records.prefix(limit)
        let next = records.count > limit ? page.last.map { "n\($0.number)" } : nil
        let encoder = JSONEncoder()
        let items = try page.map { String(decoding: try encoder.encode(IncidentDTO($0)), as: UTF8.self) }
        let text = #"{"incidents":[\#(items.joined(separator: ","))],"next_cursor":\#(next.map(JSONText.quoted) ?? "null")}"#
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func act(_ kind: IncidentEvent.Kind, _ caller: Principal, _ context: OnCallRequestContext) async throws -> IncidentDTO {
        let id = try incidentID(context)
        switch try await engine.act(IncidentEvent(kind, by: caller.actor), on: id, tenantID: caller.tenantID) {
        case .applied(let record), .unchanged(let record):
            return IncidentDTO(record)
        case .refused(_, let reason):
            throw APIError(.conflict, message: reason)
        case .notFound:
            throw notFound(id)
        }
    }

    func incidentID(_ context: OnCallRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError(.notFound, message: "no incident with that id")
        }
        return id
    }

    func notFound(_ id: UUID) -> APIError {
        APIError(.notFound, message: "no incident \(id.uuidString.lowercased())")
    }
}

extension Response {
    func withStatus(_ status: HTTPResponse.Status) -> Response {
        var copy = self
        copy.status = status
        return copy
    }
}
