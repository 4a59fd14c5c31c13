import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
import OnCallEngine
import OnCallStore

/// Who is on call: per schedule (with each layer's answer), per escalation policy layer, a schedule's final
/// timeline, and a technician's shifts as an iCalendar feed.
struct OnCallRoutes: Sendable {
    func register(on router: Router<OnCallRequestContext>, admin: AdminContext) {
        router.get("api/schedules/:id/oncall") { request, context -> Response in
            let principal = try await admin.auth.require(.read, request)
            let at = try instant(request, "at") ?? admin.clock()
            let resolver = try await resolver(principal, try context.parameters.require("id"), admin: admin)
            let answer = resolver.onCall(at: at)
            let layers = answer.layers.map { layer in
                #"{"index":\#(layer.index + 1),"name":\#(JSONText.quoted(layer.name)),"technician":\#(quotedOrNull(layer.technician)),"#
                    + #""shift":\#(layer.shift.map(shift) ?? "null")}"#
            }
            return jsonResponse(
                #"{"schedule":\#(JSONText.quoted(resolver.schedule.id)),"at":\#(JSONText.quoted(at.iso8601)),"#
                    + #""technician":\#(quotedOrNull(answer.technician)),"source":\#(quotedOrNull(answer.source?.description)),"#
                    + #""override":\#(answer.override.map(shift) ?? "null"),"layers":[\#(layers.joined(separator: ","))]}"#
            )
        }
        router.get("api/schedules/:id/timeline") { request, context -> Response in
            let principal = try await admin.auth.require(.read, request)
            let now = admin.clock()
            let from = try instant(request, "from") ?? now
            let to = try instant(request, "to") ?? from + .seconds(14 * 86_400)
            try checkRange(from, to)
            let resolver = try await resolver(principal, try context.parameters.require("id"), admin: admin)
            let shifts = resolver.shifts(from: from, to: to)
            return jsonResponse(
                #"{"schedule":\#(JSONText.quoted(resolver.schedule.id)),"from":\#(JSONText.quoted(from.iso8601)),"to":\#(JSONText.quoted(to.iso8601)),"#
                    + #""shifts":[\#(shifts.map(shift).joined(separator: ","))]}"#
            )
        }
        router.get("api/oncall") { request, _ -> Response in
            let principal = try await admin.auth.require(.read, request)
            let at = try instant(request, "at") ?? admin.clock()
            let tenant = try await admin.tenant(principal).configuration
            var policies = tenant.escalationPolicies
            if let wanted = request.uri.queryParameters.get("escalation_policy") {
                policies = policies.filter { $0.id == wanted }
                guard !policies.isEmpty else { throw APIError(.notFound, message: "no escalation policy '\(wanted)'") }
            }
            var resolvers: [String: ScheduleResolver] = [:]
            for schedule in tenant.schedules { resolvers[schedule.id] = try? ScheduleResolver(schedule) }
            let described = policies.map { policy in
                let layers = policy.layers.enumerated().map { index, layer in
                    let targets = layer.targets.map { target -> String in
                        switch target {
                        case .technician(let id):
                            return #"{"type":"technician","id":\#(JSONText.quoted(id)),"technician":\#(JSONText.quoted(id))}"#
                        case .schedule(let id):
                            let technician = resolvers[id]?.onCall(at: at).technician
                            return #"{"type":"schedule","id":\#(JSONText.quoted(id)),"technician":\#(quotedOrNull(technician))}"#
                        }
                    }
                    return #"{"layer":\#(index + 1),"delay":\#(JSONText.quoted(DurationText.format(layer.delay))),"targets":[\#(targets.joined(separator: ","))]}"#
                }
                return #"{"escalation_policy":\#(JSONText.quoted(policy.id)),"name":\#(JSONText.quoted(policy.name)),"layers":[\#(layers.joined(separator: ","))]}"#
            }
            return jsonResponse(#"{"at":\#(JSONText.quoted(at.iso8601)),"escalation_policies":[\#(described.joined(separator: ","))]}"#)
        }
        router.get("api/technicians/:id/shifts.ics") { request, context -> Response in
            let principal = try await admin.auth.require(.read, request)
            let technicianID = try context.parameters.require("id")
            let tenant = try await admin.tenant(principal).configuration
            guard let technician = tenant.technicians.first(where: { $0.id == technicianID }) else {
                throw APIError(.notFound, message: "no technician '\(technicianID)'")
            }
            let now = admin.clock()
            let from = try instant(request, "from") ?? now + .seconds(-7 * 86_400)
            let to = try instant(request, "to") ?? now + .seconds(90 * 86_400)
            try checkRange(from, to)
            var events: [ICalendarFeed.Event] = []
            for schedule in tenant.schedules {
                guard let resolver = try? ScheduleResolver(schedule) else { continue }
                for shift in resolver.shifts(from: from, to: to) where shift.technician == technicianID {
                    events.append(ICalendarFeed.Event(
                        uid: "\(principal.tenantID)-\(schedule.id)-\(technicianID)-\(shift.start.microseconds / 1_000_000)@oncall",
                        start: shift.start, end: shift.end, summary: "On call: \(schedule.name)", description: "\(shift.source)"
                    ))
                }
            }
            events.sort { $0.start < $1.start }
            let feed = ICalendarFeed(name: "On-Call: \(technician.name)", events: events)
            return Response(
                status: .ok, headers: [.contentType: "text/calendar; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: feed.render(stamp: now)))
            )
        }
    }

    func resolver(_ principal: Principal, _ id: String, admin: AdminContext) async throws -> ScheduleResolver {
        let tenant = try await admin.tenant(principal).configuration
        guard let schedule = tenant.schedules.first(where: { $0.id == id }) else { throw APIError(.notFound, message: "no schedule '\(id)'") }
        do {
            return try ScheduleResolver(schedule)
        } catch {
            throw APIError(.unprocessableContent, message: "schedule '\(id)' cannot be resolved: \(error)")
        }
    }

    func shift(_ shift: ScheduleShift) -> String {
        #"{"technician":\#(JSONText.quoted(shift.technician)),"start":\#(JSONText.quoted(shift.start.iso8601)),"end":\#(JSONText.quoted(shift.end.iso8601)),"source":\#(JSONText.quoted(shift.source.description))}"#
    }

    func quotedOrNull(_ text: String?) -> String { text.map(JSONText.quoted) ?? "null" }

    /// An ISO 8601 instant from the query (`2026-11-02T09:00:00Z`, offsets and fractions allowed); 400 otherwise.
    func instant(_ request: Request, _ name: String) throws -> Timestamp? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return Timestamp(date) }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return Timestamp(date) }
        throw APIError(.badRequest, message: "\(name): not an ISO 8601 instant with a zone (e.g. 2026-11-02T09:00:00Z)")
    }

    func checkRange(_ from: Timestamp, _ to: Timestamp) throws {
        guard from < to else { throw APIError(.badRequest, message: "from must be before to") }
        guard to - from <= ScheduleResolver.maximumRange else { throw APIError(.badRequest, message: "the range may span at most 366 days") }
    }
}
