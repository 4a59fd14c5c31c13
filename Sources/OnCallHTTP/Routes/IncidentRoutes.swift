import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
public import OnCallEngine
import OnCallStore

/// The technician API for incidents: open by hand, read with the timeline, acknowledge, resolve, add a note.
///
/// Until Hub SSO arrives these routes need `OPS_API_KEY` (`Authorization: Bearer KEY`) and name the tenant
/// in `X-Tenant-Id`; `X-Technician-Id` says who acts (recorded in the timeline).
public struct IncidentRoutes: Sendable {
    let engine: IncidentEngine
    let opsKey: Secret?

    public init(engine: IncidentEngine, opsKey: Secret?) {
        self.engine = engine
        self.opsKey = opsKey
    }

    struct Caller {
        var tenantID: String
        var actor: String
    }

    func caller(_ request: Request) throws -> Caller {
        guard let opsKey else {
            throw APIError(.unauthorized, message: "the incident API needs OPS_API_KEY on the server until Hub SSO is configured")
        }
        let header = request.headers[.authorization] ?? ""
        let presented = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : ""
        guard ConstantTime.equals(presented, opsKey.value) else {
            throw APIError(.unauthorized, message: "missing or wrong API key")
        }
        guard let tenant = request.headers[HTTPField.Name("X-Tenant-Id")!], !tenant.isEmpty else {
            throw APIError(.badRequest, message: "X-Tenant-Id names the tenant")
        }
        let technician = request.headers[HTTPField.Name("X-Technician-Id")!]
        return Caller(tenantID: tenant, actor: technician.map { "technician:\($0)" } ?? "ops")
    }

    public func register(on router: Router<OnCallRequestContext>) {
        let incidents = router.group("api/incidents")
        incidents.post { request, context -> Response in
            let caller = try caller(request)
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
            let caller = try caller(request)
            let id = try incidentID(context)
            guard let record = try await engine.incident(id: id, tenantID: caller.tenantID) else { throw notFound(id) }
            return IncidentDTO(record, timeline: try await engine.timeline(id: id, tenantID: caller.tenantID))
        }
        incidents.post(":id/acknowledge") { request, context in
            try await act(.acknowledge, request, context)
        }
        incidents.post(":id/resolve") { request, context in
            try await act(.resolve, request, context)
        }
        incidents.post(":id/notes") { request, context in
            let body = try await request.decode(as: NoteBody.self, context: context)
            guard let text = body.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                throw APIError(.unprocessableContent, message: "text: required")
            }
            return try await act(.note(text), request, context)
        }
    }

    func act(_ kind: IncidentEvent.Kind, _ request: Request, _ context: OnCallRequestContext) async throws -> IncidentDTO {
        let caller = try caller(request)
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
