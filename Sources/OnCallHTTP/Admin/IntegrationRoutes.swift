import HTTPTypes
public import Hummingbird
public import OnCallCore
import OnCallStore

/// Integrations: create (the key is shown once), list with webhook URLs (never keys), change, rotate, delete.
struct IntegrationRoutes: Sendable {
    func register(on router: Router<OnCallRequestContext>, admin: AdminContext) {
        let group = router.group("api/integrations")
        group.get { request, _ -> Response in
            let principal = try await admin.auth.require(.read, request)
            let tenant = try await admin.tenant(principal)
            return jsonResponse(#"{"integrations":["# + tenant.integrations.map { describe($0, admin: admin) }.joined(separator: ",") + "]}")
        }
        group.get(":id") { request, context -> Response in
            let principal = try await admin.auth.require(.read, request)
            let key = try context.parameters.require("id")
            guard let record = try await admin.tenant(principal).integration(key) else { throw notFound(key) }
            return jsonResponse(describe(record, admin: admin))
        }
        group.post { request, context -> Response in
            let principal = try await admin.auth.require(.manageKeys, request)
            var integration = try parse(try await request.bodyText(context))
            if integration.id.isEmpty { integration.id = generatedID(integration.type.rawValue) }
            let created = integration
            let report = try await admin.update(principal) { configuration in
                if configuration.integrations.contains(where: { $0.id == created.id }) {
                    throw APIError(.conflict, message: "integration '\(created.id)' already exists")
                }
                configuration.integrations.append(created)
                return "integrations[\(configuration.integrations.count - 1)]"
            }
            guard let record = report.tenant?.integration(created.id), let issued = report.issuedKeys.first(where: { $0.integrationID == created.id }) else {
                throw APIError(.internalServerError, message: "the integration was not created")
            }
            return jsonResponse(describe(record, admin: admin, key: issued.key), status: .created)
        }
        group.put(":id") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let key = try context.parameters.require("id")
            var integration = try parse(try await request.bodyText(context))
            if integration.id.isEmpty { integration.id = key }
            guard integration.id == key else {
                throw APIError(.unprocessableContent, message: "id: does not match the path's '\(key)'", problems: [("id", "does not match the path")])
            }
            let replacement = integration
            let report = try await admin.update(principal) { configuration in
                guard let index = configuration.integrations.firstIndex(where: { $0.id == key }) else { throw notFound(key) }
                configuration.integrations[index] = replacement
                return "integrations[\(index)]"
            }
            guard let record = report.tenant?.integration(key) else { throw notFound(key) }
            return jsonResponse(describe(record, admin: admin))
        }
        group.post(":id/rotate") { request, context -> Response in
            let principal = try await admin.auth.require(.manageKeys, request)
            let key = try context.parameters.require("id")
            let report = try await admin.update(principal, rotateKeys: [key]) { configuration in
                guard configuration.integrations.contains(where: { $0.id == key }) else { throw notFound(key) }
                return nil
            }
            guard let record = report.tenant?.integration(key), let issued = report.issuedKeys.first(where: { $0.integrationID == key }) else {
                throw APIError(.internalServerError, message: "the key was not rotated")
            }
            return jsonResponse(describe(record, admin: admin, key: issued.key))
        }
        group.delete(":id") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let key = try context.parameters.require("id")
            _ = try await admin.update(principal) { configuration in
                guard let index = configuration.integrations.firstIndex(where: { $0.id == key }) else { throw notFound(key) }
                configuration.integrations.remove(at: index)
                return nil
            }
            return Response(status: .noContent)
        }
    }

    func parse(_ text: String) throws -> Integration {
        let integration: Integration
        do throws(InvalidConfiguration) {
            integration = try ConfigurationCodec.decode(Integration.self, from: text, idRequired: false)
        } catch {
            throw AdminContext.invalid(error)
        }
        guard integration.key == nil else {
            throw APIError(.unprocessableContent, message: "key: keys are generated by On-Call (rotate for a new one)", problems: [("key", "generated by On-Call")])
        }
        return integration
    }

    /// The integration as the API shows it: webhook URL and key hint; the key itself only right after it was made.
    func describe(_ record: IntegrationRecord, admin: AdminContext, key: String? = nil) -> String {
        var fields = [
            #""id":\#(JSONText.quoted(record.integration.id))"#,
            #""type":\#(JSONText.quoted(record.integration.type.rawValue))"#,
            #""service":\#(record.integration.service.map(JSONText.quoted) ?? "null")"#,
            #""webhook_url":\#(JSONText.quoted(admin.webhookURL(record.webhookID)))"#,
            #""key_hint":\#(JSONText.quoted(record.keyHint))"#,
            #""created_at":\#(JSONText.quoted(record.createdAt.iso8601))"#,
            #""key_rotated_at":\#(JSONText.quoted(record.keyRotatedAt.iso8601))"#,
        ]
        if let key { fields.append(#""key":\#(JSONText.quoted(key))"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    func notFound(_ key: String) -> APIError {
        APIError(.notFound, message: "no integration '\(key)'")
    }
}
