import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
public import OnCallStore

/// The admin API: every object of a tenant's set-up, who is on call, integrations and their keys, and the
/// caller's own identity and the tenant's activity. The tenant is always the caller's.
public struct AdminRoutes: Sendable {
    let admin: AdminContext
    let accounts: HubAccounts?
    let signing: SigningSecrets?

    public init(admin: AdminContext, accounts: HubAccounts?, signing: SigningSecrets? = nil) {
        self.admin = admin
        self.accounts = accounts
        self.signing = signing
    }

    public func register(on router: Router<OnCallRequestContext>) {
        CollectionRoutes<Technician>(
            name: "technicians", noun: "technician", idPrefix: "tech", items: \.technicians, id: \.id,
            decode: { text throws(InvalidConfiguration) in try ConfigurationCodec.decode(Technician.self, from: text, idRequired: false) },
            encode: { ConfigurationCodec.json($0) }
        ).register(on: router, admin: admin)
        CollectionRoutes<Schedule>(
            name: "schedules", noun: "schedule", idPrefix: "schedule", items: \.schedules, id: \.id,
            decode: { text throws(InvalidConfiguration) in try ConfigurationCodec.decode(Schedule.self, from: text, idRequired: false) },
            encode: { ConfigurationCodec.json($0) }
        ).register(on: router, admin: admin)
        CollectionRoutes<EscalationPolicy>(
            name: "escalation_policies", noun: "escalation policy", idPrefix: "policy", items: \.escalationPolicies, id: \.id,
            decode: { text throws(InvalidConfiguration) in try ConfigurationCodec.decode(EscalationPolicy.self, from: text, idRequired: false) },
            encode: { ConfigurationCodec.json($0) }
        ).register(on: router, admin: admin)
        CollectionRoutes<Service>(
            name: "services", noun: "service", idPrefix: "service", items: \.services, id: \.id,
            decode: { text throws(InvalidConfiguration) in try ConfigurationCodec.decode(Service.self, from: text, idRequired: false) },
            encode: { ConfigurationCodec.json($0) }
        ).register(on: router, admin: admin)
        IntegrationRoutes().register(on: router, admin: admin)
        OnCallRoutes().register(on: router, admin: admin)

        let admin = self.admin
        // Overrides one at a time (a whole schedule is replaced with PUT /api/schedules/{id}).
        router.post("api/schedules/:id/overrides") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let scheduleID = try context.parameters.require("id")
            let text = try await request.bodyText(context)
            let override: ScheduleOverride
            do throws(InvalidConfiguration) {
                override = try ConfigurationCodec.decode(ScheduleOverride.self, from: text)
            } catch {
                throw AdminContext.invalid(error)
            }
            let report = try await admin.update(principal) { configuration in
                guard let index = configuration.schedules.firstIndex(where: { $0.id == scheduleID }) else {
                    throw APIError(.notFound, message: "no schedule '\(scheduleID)'")
                }
                configuration.schedules[index].overrides.append(override)
                return "schedules[\(index)]"
            }
            guard let schedule = report.tenant?.configuration.schedules.first(where: { $0.id == scheduleID }) else {
                throw APIError(.notFound, message: "no schedule '\(scheduleID)'")
            }
            return jsonResponse(ConfigurationCodec.json(schedule), status: .created)
        }
        router.delete("api/schedules/:id/overrides/:index") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let scheduleID = try context.parameters.require("id")
            guard let position = Int(try context.parameters.require("index")), position >= 1 else {
                throw APIError(.notFound, message: "overrides are numbered from 1")
            }
            _ = try await admin.update(principal) { configuration in
                guard let index = configuration.schedules.firstIndex(where: { $0.id == scheduleID }),
                      position <= configuration.schedules[index].overrides.count else {
                    throw APIError(.notFound, message: "no override \(position) on schedule '\(scheduleID)'")
                }
                configuration.schedules[index].overrides.remove(at: position - 1)
                return nil
            }
            return Response(status: .noContent)
        }

        router.get("api/routes") { request, _ -> Response in
            let principal = try await admin.auth.require(.read, request)
            return jsonResponse(ConfigurationCodec.json(try await admin.tenant(principal).configuration.routes))
        }
        router.put("api/routes") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let text = try await request.bodyText(context)
            let routes: Routes
            do throws(InvalidConfiguration) {
                routes = try ConfigurationCodec.decode(Routes.self, from: text)
            } catch {
                throw AdminContext.invalid(error)
            }
            _ = try await admin.update(principal) { configuration in
                configuration.routes = routes
                return "routes"
            }
            return jsonResponse(ConfigurationCodec.json(routes))
        }

        router.get("api/settings") { request, _ -> Response in
            let principal = try await admin.auth.require(.read, request)
            return jsonResponse(ConfigurationCodec.json(try await admin.tenant(principal).configuration.settings))
        }
        router.put("api/settings") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let text = try await request.bodyText(context)
            let settings: TenantSettings
            do throws(InvalidConfiguration) {
                settings = try ConfigurationCodec.decode(TenantSettings.self, from: text)
            } catch {
                throw AdminContext.invalid(error)
            }
            _ = try await admin.update(principal) { configuration in
                configuration.settings = settings
                return "settings"
            }
            return jsonResponse(ConfigurationCodec.json(settings))
        }

        // The secret webhook receivers check pages' X-OnCall-Signature with (docs/paging.md): shown to those who
        // manage keys; a rotation is in force on every node at once.
        if let signing {
            router.get("api/settings/webhook-signing-secret") { request, _ -> Response in
                let principal = try await admin.auth.require(.manageKeys, request)
                let secret = try await signing.secret(tenantID: principal.tenantID)
                return jsonResponse(#"{"secret":\#(JSONText.quoted(secret)),"header":"X-OnCall-Signature"}"#)
            }
            router.post("api/settings/webhook-signing-secret/rotate") { request, _ -> Response in
                let principal = try await admin.auth.require(.manageKeys, request)
                let secret = try await signing.rotate(tenantID: principal.tenantID)
                return jsonResponse(#"{"secret":\#(JSONText.quoted(secret)),"header":"X-OnCall-Signature"}"#)
            }
        }

        router.get("api/me") { request, _ -> Response in
            let principal = try await admin.auth.require(.read, request)
            let permissions = Permission.allCases.filter(principal.role.allows).map { JSONText.quoted($0.rawValue) }
            let technician = try await admin.domain.load(tenantID: principal.tenantID)?.configuration.technicians.first { $0.id == principal.technicianID }
            return jsonResponse(
                #"{"tenant_id":\#(JSONText.quoted(principal.tenantID)),"role":\#(JSONText.quoted(principal.role.rawValue)),"#
                    + #""permissions":[\#(permissions.joined(separator: ","))],"technician":\#(technician.map { ConfigurationCodec.json($0) } ?? "null")}"#
            )
        }

        let accounts = self.accounts
        router.get("api/activity") { request, _ -> Response in
            let principal = try await admin.auth.require(.readBilling, request)
            guard let accounts else { throw APIError(.serviceUnavailable, message: "activity is not available") }
            let today = String(admin.clock().iso8601.prefix(10))
            let from = request.uri.queryParameters.get("from").map { String($0) } ?? today
            let to = request.uri.queryParameters.get("to").map { String($0) } ?? today
            for (name, value) in [("from", from), ("to", to)] where LocalDateTime(value + "T00:00") == nil {
                throw APIError(.badRequest, message: "\(name): a date like 2026-11-29")
            }
            let days = try await accounts.activity(tenantID: principal.tenantID, from: from, to: to).map { day in
                #"{"day":\#(JSONText.quoted(day.day)),"active_technicians":\#(day.technicians.count),"technicians":[\#(day.technicians.map(JSONText.quoted).joined(separator: ","))]}"#
            }
            return jsonResponse(#"{"tenant_id":\#(JSONText.quoted(principal.tenantID)),"days":[\#(days.joined(separator: ","))]}"#)
        }
    }
}
