import Foundation
public import Hummingbird
import OnCallCore
public import OnCallStore

/// Ops (first part): the outbox of the caller's tenant, and dead letters sent again. `OPS_API_KEY` with
/// `X-Tenant-Id`, or a manager or owner's Hub token.
public struct OpsRoutes: Sendable {
    let auth: Authenticator
    let queue: OutboxQueue

    public init(auth: Authenticator, queue: OutboxQueue) {
        self.auth = auth
        self.queue = queue
    }

    public func register(on router: Router<OnCallRequestContext>) {
        // ?status=pending|dead&kind=&limit=
        router.get("api/ops/outbox") { request, _ -> Response in
            let principal = try await auth.require(.configure, request)
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            if let status = query["status"], status != "pending" && status != "dead" {
                throw APIError(.badRequest, message: "status: pending or dead", problems: [("status", "pending or dead")])
            }
            let limit = try query["limit"].map { text in
                guard let value = Int(text), (1...1000).contains(value) else { throw APIError(.badRequest, message: "limit: a number from 1 to 1000") }
                return value
            } ?? 200
            let rows = try await queue.rows(tenantID: principal.tenantID, status: query["status"], kind: query["kind"], limit: limit)
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
    }
}
