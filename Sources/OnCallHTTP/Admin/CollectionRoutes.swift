import HTTPTypes
public import Hummingbird
public import OnCallCore
import OnCallStore

/// List, read, create, replace and delete for one kind of tenant object (technicians, schedules, escalation
/// policies, services): the same rules for each, so the API behaves the same everywhere.
struct CollectionRoutes<Item: Sendable>: @unchecked Sendable {  // key paths are immutable values
    /// Path segment and the key in the configuration format (`escalation_policies`).
    let name: String
    /// The object kind in messages (`escalation policy`).
    let noun: String
    let idPrefix: String
    let items: WritableKeyPath<TenantConfiguration, [Item]>
    let id: WritableKeyPath<Item, String>
    let decode: @Sendable (_ text: String) throws(InvalidConfiguration) -> Item
    let encode: @Sendable (Item) -> String

    func register(on router: Router<OnCallRequestContext>, admin: AdminContext) {
        let group = router.group(RouterPath(stringLiteral: "api/\(name)"))
        group.get { request, _ -> Response in
            let principal = try await admin.auth.require(.read, request)
            let tenant = try await admin.tenant(principal).configuration
            return jsonResponse(#"{"\#(name)":["# + tenant[keyPath: items].map(encode).joined(separator: ",") + "]}")
        }
        group.get(":id") { request, context -> Response in
            let principal = try await admin.auth.require(.read, request)
            let key = try context.parameters.require("id")
            let tenant = try await admin.tenant(principal).configuration
            guard let item = tenant[keyPath: items].first(where: { $0[keyPath: id] == key }) else { throw notFound(key) }
            return jsonResponse(encode(item))
        }
        group.post { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            var item = try parse(try await request.bodyText(context))
            if item[keyPath: id].isEmpty { item[keyPath: id] = generatedID(idPrefix) }
            let created = item
            _ = try await admin.update(principal) { [self] configuration in
                if configuration[keyPath: items].contains(where: { $0[keyPath: id] == created[keyPath: id] }) {
                    throw APIError(.conflict, message: "\(noun) '\(created[keyPath: id])' already exists (PUT /api/\(name)/\(created[keyPath: id]) replaces it)")
                }
                configuration[keyPath: items].append(created)
                return "\(name)[\(configuration[keyPath: items].count - 1)]"
            }
            return jsonResponse(encode(created), status: .created)
        }
        group.put(":id") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let key = try context.parameters.require("id")
            var item = try parse(try await request.bodyText(context))
            if item[keyPath: id].isEmpty { item[keyPath: id] = key }
            guard item[keyPath: id] == key else {
                throw APIError(.unprocessableContent, message: "id: '\(item[keyPath: id])' does not match the path's '\(key)'", problems: [("id", "does not match the path")])
            }
            let replacement = item
            let report = try await admin.update(principal) { [self] configuration in
                if let index = configuration[keyPath: items].firstIndex(where: { $0[keyPath: id] == key }) {
                    configuration[keyPath: items][index] = replacement
                    return "\(name)[\(index)]"
                }
                configuration[keyPath: items].append(replacement)
                return "\(name)[\(configuration[keyPath: items].count - 1)]"
            }
            let created = report.changes.contains { $0.action == .create && $0.id == key }
            return jsonResponse(encode(replacement), status: created ? .created : .ok)
        }
        group.delete(":id") { request, context -> Response in
            let principal = try await admin.auth.require(.configure, request)
            let key = try context.parameters.require("id")
            _ = try await admin.update(principal) { [self] configuration in
                guard let index = configuration[keyPath: items].firstIndex(where: { $0[keyPath: id] == key }) else { throw notFound(key) }
                configuration[keyPath: items].remove(at: index)
                return nil
            }
            return Response(status: .noContent)
        }
    }

    func parse(_ text: String) throws -> Item {
        do throws(InvalidConfiguration) {
            return try decode(text)
        } catch {
            throw AdminContext.invalid(error)
        }
    }

    func notFound(_ key: String) -> APIError {
        APIError(.notFound, message: "no \(noun) '\(key)'")
    }
}
