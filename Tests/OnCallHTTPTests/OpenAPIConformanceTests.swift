import Foundation
import OnCallTesting
import Synchronization
import Testing

/// `/openapi.json` against the real server: every documented operation is called at least once (successes and
/// refusals), and every answer must match the document's schema for its status. An endpoint added without
/// being documented, or documented without being exercised here, fails the test.
@Suite("OpenAPI document matches real responses")
struct OpenAPIConformanceTests {
    /// Calls the server and checks each answer against the document; remembers which operations were seen.
    final class Walk: Sendable {
        let h: AdminHarness
        let validator: OpenAPIValidator
        let seen = Mutex<Set<String>>([])
        let problems = Mutex<[String]>([])

        init(_ h: AdminHarness, _ validator: OpenAPIValidator) {
            self.h = h
            self.validator = validator
        }

        /// `as`: a Hub role of acme (`owner`, `admin`, `member`), `ops` for the operator key, `none`.
        @discardableResult
        func call(_ method: String, _ path: String, as who: String = "owner", json: String? = nil, headers: [(String, String)] = [],
                  expect status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestResponse {
            let response: TestResponse
            switch who {
            case "ops": response = try await h.request(method, path, token: AdminHarness.opsKey, json: json, headers: headers + [("X-Tenant-Id", "acme-msp")])
            case "none": response = try await h.request(method, path, token: nil, json: json, headers: headers)
            default: response = try await h.request(method, path, token: try await h.token(who), json: json, headers: headers)
            }
            if let status { #expect(response.status == status, "\(method) \(path): \(response.text.prefix(300))", sourceLocation: sourceLocation) }
            let found = validator.problems(method: method, path: path, status: response.status, contentType: response.header("content-type"), body: response.body)
            problems.withLock { $0 += found.map { "\(method) \(path) → \(response.status): \($0)" } }
            if let template = validator.template(method: method, path: path) { _ = seen.withLock { $0.insert("\(method) \(template)") } }
            return response
        }
    }

    @Test func everyOperationAnswersAsDocumented() async throws {
        try await AdminHarness.run { h in
            let document = try await h.request("GET", "/openapi.json", token: nil)
            #expect(document.status == 200 && document.header("content-type")?.hasPrefix("application/json") == true)
            let w = Walk(h, try OpenAPIValidator(document: Data(document.body)))
            try await w.call("GET", "/openapi.json", as: "none", expect: 200)

            // Health, metrics, the ops page.
            try await w.call("GET", "/healthz", as: "none", expect: 200)
            try await w.call("GET", "/readyz", as: "none", expect: 200)
            try await w.call("GET", "/metrics", as: "none", expect: 401)
            try await w.call("GET", "/metrics", as: "ops", expect: 200)
            try await w.call("GET", "/ops", as: "none", expect: 401)
            try await w.call("GET", "/ops?tenant=acme-msp", as: "ops", expect: 200)

            // Incidents and their actions, with refusals.
            let created = try await w.call("POST", "/api/incidents", json: #"{"service":"backups","title":"Backup failed","severity":"critical","dedup_key":"nightly"}"#, expect: 201)
            let id = try #require((created.object["incident"] as? [String: Any])?["id"] as? String)
            try await w.call("POST", "/api/incidents", json: #"{"service":"backups","title":"Backup failed","dedup_key":"nightly"}"#, expect: 200)
            try await w.call("POST", "/api/incidents", json: #"{"service":"nope","title":"x"}"#, expect: 422)
            try await w.call("POST", "/api/incidents", as: "none", json: "{}", expect: 401)
            try await w.call("GET", "/api/incidents?limit=1", as: "member", expect: 200)
            try await w.call("GET", "/api/incidents?limit=0", as: "member", expect: 400)
            try await w.call("GET", "/api/incidents/\(id)", as: "member", expect: 200)
            try await w.call("GET", "/api/incidents/\(UUID())", as: "member", expect: 404)
            try await w.call("POST", "/api/incidents/\(id)/snooze", as: "member", json: #"{"duration":"30m"}"#, expect: 409)
            try await w.call("POST", "/api/incidents/\(id)/notes", as: "member", json: #"{"text":"looking"}"#, expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/acknowledge", as: "member", expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/snooze", as: "member", json: #"{"duration":"forever"}"#, expect: 422)
            try await w.call("POST", "/api/incidents/\(id)/snooze", as: "member", json: #"{"duration":"30m"}"#, expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/unacknowledge", as: "member", expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/escalate", as: "member", json: #"{"layer":2}"#, expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/escalate", as: "member", json: #"{"layer":9}"#, expect: 409)
            try await w.call("POST", "/api/incidents/\(id)/reassign", as: "member", json: #"{"technician":"bob"}"#, expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/reassign", as: "member", json: #"{"technician":"nobody"}"#, expect: 422)

            // Ops on that incident.
            try await w.call("GET", "/api/ops/workflows", as: "ops", expect: 200)
            try await w.call("GET", "/api/ops/workflows?limit=9999", as: "ops", expect: 400)
            try await w.call("POST", "/api/ops/incidents/\(id)/rearm", as: "ops", expect: 200)
            try await w.call("POST", "/api/ops/incidents/\(UUID())/rearm", as: "ops", expect: 404)
            try await w.call("POST", "/api/ops/incidents/\(id)/force", as: "ops", json: #"{"state":"limbo","reason":"x"}"#, expect: 422)
            try await w.call("GET", "/api/ops/integrations", as: "ops", expect: 200)
            try await w.call("GET", "/api/ops/outbox?status=dead", as: "ops", expect: 200)
            try await w.call("GET", "/api/ops/outbox?status=stuck", as: "ops", expect: 400)
            try await w.call("POST", "/api/ops/outbox/1/retry", as: "ops", expect: 409)
            try await w.call("POST", "/api/ops/outbox/retry?kind=psa.create_ticket", as: "ops", expect: 200)
            try await w.call("GET", "/api/ops/billing?status=dead", as: "ops", expect: 200)
            try await w.call("POST", "/api/ops/billing/retry", as: "ops", expect: 200)
            try await w.call("GET", "/api/ops/workflows", as: "member", expect: 403)
            try await w.call("POST", "/api/incidents/\(id)/resolve", as: "member", expect: 200)
            try await w.call("POST", "/api/incidents/\(id)/acknowledge", as: "member", expect: 409)
            try await w.call("POST", "/api/ops/incidents/\(id)/force", as: "ops", json: #"{"state":"escalating","reason":"reopen"}"#, expect: 409)

            // One-click acknowledge links (a token this server never signed).
            try await w.call("GET", "/ack/not-a-token", as: "none", expect: 404)
            try await w.call("POST", "/ack/not-a-token", as: "none", expect: 404)

            // Tenant set-up: each collection listed, one created, read, replaced, deleted.
            for (collection, body, replacement) in [
                ("technicians", #"{"id":"zed","name":"Zed"}"#, #"{"name":"Zed Z."}"#),
                ("schedules", #"{"id":"night","name":"Night","time_zone":"UTC","layers":[{"name":"Only","rotation":"weekly","handoff":"2026-01-05T09:00","members":["bob"]}]}"#,
                 #"{"name":"Night shift","time_zone":"UTC","layers":[]}"#),
                ("escalation_policies", #"{"id":"night-policy","name":"Night","layers":[{"delay":"5m","targets":[{"technician":"bob"}]}]}"#,
                 #"{"name":"Night (2)","layers":[{"delay":"10m","targets":[{"technician":"bob"}]}]}"#),
                ("services", #"{"id":"printers","name":"Printers","escalation_policy":"standard"}"#, #"{"name":"Printers (all sites)","escalation_policy":"standard"}"#),
            ] {
                try await w.call("GET", "/api/\(collection)", as: "member", expect: 200)
                let made = try await w.call("POST", "/api/\(collection)", json: body, expect: 201)
                let newID = try #require(made.object["id"] as? String, "\(made.text)")
                try await w.call("POST", "/api/\(collection)", json: "{", expect: nil)
                try await w.call("GET", "/api/\(collection)/\(newID)", as: "member", expect: 200)
                try await w.call("GET", "/api/\(collection)/does-not-exist", as: "member", expect: 404)
                try await w.call("PUT", "/api/\(collection)/\(newID)", json: replacement, expect: 200)
                try await w.call("DELETE", "/api/\(collection)/\(newID)", expect: 204)
            }
            let override = try await w.call("POST", "/api/schedules/primary/overrides", json: #"{"technician":"bob","start":"2027-01-01T00:00","end":"2027-01-01T12:00"}"#, expect: 201)
            _ = override
            try await w.call("DELETE", "/api/schedules/primary/overrides/0", expect: nil)
            try await w.call("GET", "/api/schedules/primary/oncall?at=2026-12-25T12:00:00Z", as: "member", expect: 200)
            try await w.call("GET", "/api/schedules/primary/timeline?from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z", as: "member", expect: 200)
            try await w.call("GET", "/api/oncall", as: "member", expect: 200)
            try await w.call("GET", "/api/technicians/alice/shifts.ics", as: "member", expect: 200)

            // Integrations, and a webhook through one.
            try await w.call("GET", "/api/integrations", as: "member", expect: 200)
            let integration = try await w.call("POST", "/api/integrations", json: #"{"id":"nightly","type":"generic","service":"backups"}"#, expect: 201)
            let key = try #require(integration.object["key"] as? String)
            let hookURL = try #require(integration.object["webhook_url"] as? String)
            let hook = String(hookURL.dropFirst("https://oncall.test".count))
            try await w.call("GET", "/api/integrations/nightly", as: "member", expect: 200)
            try await w.call("PUT", "/api/integrations/nightly", json: #"{"type":"generic","service":"backups"}"#, expect: 200)
            let rotated = try await w.call("POST", "/api/integrations/nightly/rotate", expect: 200)
            let newKey = try #require(rotated.object["key"] as? String)
            #expect(newKey != key)
            try await w.call("POST", hook, as: "none", json: #"{"title":"Nightly backup failed","severity":"high","dedup_key":"b1"}"#, headers: [("X-Integration-Key", newKey)], expect: 202)
            try await w.call("POST", hook, as: "none", json: #"{"title":"x"}"#, headers: [("X-Integration-Key", key)], expect: 401)
            try await w.call("POST", hook, as: "none", json: "{not json", headers: [("X-Integration-Key", newKey)], expect: 400)
            try await w.call("GET", hook, as: "none", headers: [("X-Integration-Key", newKey)], expect: 405)
            try await w.call("DELETE", "/api/integrations/nightly", expect: 204)

            // Settings, routes, the signing secret, who am I, activity.
            let routes = try await w.call("GET", "/api/routes", as: "member", expect: 200)
            try await w.call("PUT", "/api/routes", json: routes.text, expect: 200)
            let settings = try await w.call("GET", "/api/settings", as: "member", expect: 200)
            try await w.call("PUT", "/api/settings", json: settings.text, expect: 200)
            try await w.call("GET", "/api/settings/webhook-signing-secret", expect: 200)
            try await w.call("POST", "/api/settings/webhook-signing-secret/rotate", expect: 200)
            try await w.call("GET", "/api/me", as: "member", expect: 200)
            try await w.call("GET", "/api/activity", expect: 200)

            // Defend, Bridge and Search.
            try await w.call("POST", "/api/internal/defend/escalations", as: "none", json: "{}", headers: [("X-Service-Key", "wrong")], expect: 401)
            try await w.call("POST", "/api/internal/defend/escalations", as: "none", json: #"{"tenant_id":"acme-msp"}"#, headers: [("X-Service-Key", AdminHarness.defendKey)], expect: 422)
            let wall = try await w.call("POST", "/api/integrations", json: #"{"id":"wall","type":"bridge"}"#, expect: 201)
            let wallKey = try #require(wall.object["key"] as? String)
            let bridge = [("X-Integration-Key", wallKey), ("X-Tenant-Id", "acme-msp")]
            try await w.call("GET", "/api/bridge/incidents", as: "none", headers: bridge, expect: 200)
            try await w.call("GET", "/api/bridge/schedules", as: "none", headers: bridge, expect: 200)
            try await w.call("GET", "/api/bridge/escalations", as: "none", headers: bridge, expect: 200)
            try await w.call("GET", "/api/bridge/incidents", as: "none", headers: [("X-Integration-Key", "wrong"), ("X-Tenant-Id", "acme-msp")], expect: 401)
            try await w.call("GET", "/api/search?q=backup&tenant_id=acme-msp", as: "none", headers: [("X-Integration-Key", wallKey)], expect: 200)

            let problems = w.problems.withLock { $0 }
            #expect(problems.isEmpty, "\(problems.count) answers do not match the document:\n\(problems.prefix(30).joined(separator: "\n"))")
            let documented = Set(w.validator.operations.map { "\($0.method) \($0.path)" })
            let seen = w.seen.withLock { $0 }
            #expect(documented.subtracting(seen).isEmpty, "documented but never called here: \(documented.subtracting(seen).sorted())")
        }
    }
}
