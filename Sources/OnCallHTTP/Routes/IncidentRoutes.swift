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
                result = try await engine.trigger(.init(tenantID: caller.tenantID, serviceID: service, title: title, severity: severity, dedupKey: body.dedup_key, actor: caller.actor))
            } catch let error as IncidentEngine.UnknownService {
                throw APIError(.unprocessableContent, message: "service: '\(error.serviceID)' does not exist")
            }
            let deduplicated: Bool
            if case .deduplicated = result { deduplicated = true } else { deduplicated = false }
            return try TriggerResponse(incident: IncidentDTO(result.record), deduplicated: deduplicated)
                .response(from: request, context: context)
                .withStatus(deduplicated ? .ok : .created)
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
        incidents.post(":id/notes") { request, context in
            let caller = try await auth.require(.respond, request)
            let body = try await request.decode(as: NoteBody.self, context: context)
            guard let text = body.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                throw APIError(.unprocessableContent, message: "text: required")
            }
            return try await act(.note(text), caller, context)
        }
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
