import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
public import OnCallEngine
public import OnCallStore

/// The Bridge API (read-only, for NOC walls, BI tools and chat bots; docs/bridge.md): `X-Integration-Key` of the
/// tenant's `bridge` integration and `X-Tenant-Id`, which must be that key's tenant; anything else is 401 with
/// one body whatever was wrong.
public struct BridgeRoutes: Sendable {
    let domain: DomainStore
    let engine: IncidentEngine
    let clock: @Sendable () -> Timestamp

    public init(domain: DomainStore, engine: IncidentEngine, clock: @escaping @Sendable () -> Timestamp) {
        self.domain = domain
        self.engine = engine
        self.clock = clock
    }

    static let refused = APIError(.unauthorized, message: "unknown tenant or wrong bridge key")

    public func register(on router: Router<OnCallRequestContext>) {
        // Open incidents and those changed since `since` (default: the last 24 hours), newest first.
        router.get("api/bridge/incidents") { request, _ -> Response in
            let tenantID = try await authenticate(request)
            let query = Self.query(request)
            let now = clock()
            var filter = IncidentStore.Filter()
            if let since = query["since"] {
                guard let date = try? Date(since, strategy: .iso8601) else {
                    throw APIError(.badRequest, message: "since: an RFC 3339 instant such as 2026-11-29T08:00:00Z", problems: [("since", "RFC 3339")])
                }
                filter.activeOrChangedSince = Timestamp(date)
            } else {
                filter.activeOrChangedSince = now + .seconds(-86_400)
            }
            let limit = try LimitParameter.parse(query["limit"], default: 100, maximum: 500)
            let records = try await engine.store.list(tenantID: tenantID, filter: filter, before: nil, limit: limit)
            let encoder = JSONEncoder()
            let items = try records.map { String(decoding: try encoder.encode(IncidentDTO($0)), as: UTF8.self) }
            return jsonResponse(#"{"tenant_id":\#(JSONText.quoted(tenantID)),"at":\#(JSONText.quoted(now.iso8601)),"incidents":[\#(items.joined(separator: ","))]}"#)
        }
        // Each schedule with its layers and who is on call now (and until when).
        router.get("api/bridge/schedules") { request, _ -> Response in
            let tenantID = try await authenticate(request)
            let now = clock()
            let tenant = try await domain.load(tenantID: tenantID)?.configuration
            let names = Dictionary((tenant?.technicians ?? []).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            func person(_ id: String?) -> String {
                guard let id else { return "null" }
                return #"{"id":\#(JSONText.quoted(id)),"name":\#(JSONText.quoted(names[id] ?? id))}"#
            }
            let schedules = (tenant?.schedules ?? []).map { schedule -> String in
                let answer = (try? ScheduleResolver(schedule))?.onCall(at: now)
                let layers = (answer?.layers ?? []).map { layer in
                    #"{"index":\#(layer.index + 1),"name":\#(JSONText.quoted(layer.name)),"on_call":\#(person(layer.shift?.technician)),"#
                        + #""until":\#(layer.shift.map { JSONText.quoted($0.end.iso8601) } ?? "null")}"#
                }
                return #"{"id":\#(JSONText.quoted(schedule.id)),"name":\#(JSONText.quoted(schedule.name)),"time_zone":\#(JSONText.quoted(schedule.timeZone)),"#
                    + #""on_call":\#(person(answer?.technician)),"layers":[\#(layers.joined(separator: ","))]}"#
            }
            return jsonResponse(#"{"tenant_id":\#(JSONText.quoted(tenantID)),"at":\#(JSONText.quoted(now.iso8601)),"schedules":[\#(schedules.joined(separator: ","))]}"#)
        }
        // Search: `q` across incidents, services, schedules and technicians, ranked (`tenant_id` in the query, or
        // X-Tenant-Id).
        router.get("api/search") { request, _ -> Response in
            let query = Self.query(request)
            let tenantID = try await authenticate(request, tenant: query["tenant_id"])
            guard let q = query["q"]?.trimmingCharacters(in: .whitespaces), !q.isEmpty, q.count <= 200, !q.contains("\u{0}") else {
                throw APIError(.badRequest, message: "q: what to look for, 1 to 200 characters (no NUL)", problems: [("q", "1–200 characters, no NUL")])
            }
            let limit = try LimitParameter.parse(query["limit"], default: 20, maximum: 100)
            let hits = try await SearchStore(client: domain.client, logger: domain.logger).search(tenantID: tenantID, query: q, limit: limit)
            let results = hits.map { hit in
                #"{"kind":\#(JSONText.quoted(hit.kind)),"id":\#(JSONText.quoted(hit.id)),"title":\#(JSONText.quoted(hit.title)),"#
                    + #""detail":\#(JSONText.quoted(hit.detail)),"score":\#((hit.score * 1000).rounded() / 1000)}"#
            }
            return jsonResponse(#"{"tenant_id":\#(JSONText.quoted(tenantID)),"query":\#(JSONText.quoted(q)),"results":[\#(results.joined(separator: ","))]}"#)
        }
        // Escalation policies as defined (the configuration format's JSON), with the services that use each.
        router.get("api/bridge/escalations") { request, _ -> Response in
            let tenantID = try await authenticate(request)
            let tenant = try await domain.load(tenantID: tenantID)?.configuration
            let policies = (tenant?.escalationPolicies ?? []).map { policy -> String in
                let services = (tenant?.services ?? []).filter { $0.escalationPolicy == policy.id }.map { JSONText.quoted($0.id) }
                var text = ConfigurationCodec.json(policy)
                text.removeLast()
                return text + #","services":[\#(services.joined(separator: ","))]}"#
            }
            return jsonResponse(#"{"tenant_id":\#(JSONText.quoted(tenantID)),"escalation_policies":[\#(policies.joined(separator: ","))]}"#)
        }
    }

    func authenticate(_ request: Request, tenant fromQuery: String? = nil) async throws -> String {
        guard let tenant = fromQuery ?? request.headers[HTTPField.Name("X-Tenant-Id")!], !tenant.isEmpty,
              let key = request.headers[HTTPField.Name("X-Integration-Key")!], !key.isEmpty,
              try await domain.authenticateBridge(tenantID: tenant, key: key) != nil else {
            throw Self.refused
        }
        return tenant
    }

    static func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        return query
    }
}
