import Foundation
import OnCallStore
import OnCallTesting
import Testing

/// Tenant isolation, generated: every operation of `/openapi.json`, called by each role of tenant A (and the
/// operator key acting for A) on each object of tenant B. Nothing of B is shown, changed or acted on; an
/// operation added to the document is in the matrix without anyone writing a line here.
@Suite("Tenant isolation matrix")
struct TenantIsolationMatrixTests {
    /// Words only tenant B's objects contain: none may appear in anything A is shown.
    static let markers = ["b-zoe", "b-night", "b-policy", "b-desk", "b-wall", "Theirs-7f2c", "other-msp", "zoe@other.example"]

    @Test func everyRoleOfOneTenantAgainstEveryObjectOfAnother() async throws {
        try await AdminHarness.run { h in
            func asB(_ method: String, _ path: String, json: String? = nil) async throws -> TestResponse {
                try await h.request(method, path, token: AdminHarness.opsKey, json: json, headers: [("X-Tenant-Id", "other-msp")])
            }
            // B's objects: an incident, a dead letter, its integrations' webhook ids and bridge key.
            let theirs = try await asB("POST", "/api/incidents", json: #"{"service":"b-desk","title":"Theirs-7f2c","severity":"high"}"#)
            let incident = try #require((theirs.object["incident"] as? [String: Any])?["id"] as? String)
            _ = try await SQL.strings(h.url, """
                INSERT INTO outbox (tenant_id, incident_id, sequence, position, channel, kind, payload, idempotency_key, status, attempts, next_attempt_at, last_error, created_at)
                VALUES ('other-msp', '\(incident)', 99, 1, 'psa', 'psa.create_ticket', '{}', 'matrix-dead', 'dead', 12, now(), 'HTTP 400', now())
                """)
            let outboxID = try #require(try await SQL.strings(h.url, "SELECT id::text FROM outbox WHERE idempotency_key = 'matrix-dead'").first)
            let hooks = try await asB("GET", "/api/integrations").object["integrations"] as? [[String: Any]] ?? []
            let theirHook = try #require(hooks.compactMap { $0["webhook_url"] as? String }.first.map { String($0.split(separator: "/").last!) })
            let before = try #require(try await h.domain.load(tenantID: "other-msp"))
            let journalBefore = try await SQL.strings(h.url, "SELECT count(*)::text FROM incident_journal WHERE incident_id = '\(incident)'")
            let ourKey = try #require(try await h.as("owner", "POST", "/api/integrations", json: #"{"id":"a-wall","type":"bridge"}"#).object["key"] as? String)

            let document = try OpenAPIValidator(document: Data(try await h.request("GET", "/openapi.json", token: nil).body))
            /// B's object for each kind of path parameter (nil: the operation is not reached this way).
            func theirID(_ template: String, _ name: String) -> String? {
                switch (template.split(separator: "/").dropFirst().first.map(String.init), name) {
                case ("technicians", "id"): "b-zoe"
                case ("schedules", "id"): "b-night"
                case ("schedules", "index"): "0"
                case ("escalation_policies", "id"): "b-policy"
                case ("services", "id"): "b-desk"
                case ("integrations", "id"): "b-wall"
                case ("incidents", "id"), ("ops", "id") where template.hasPrefix("/api/ops/incidents"): incident
                case ("ops", "id"): outboxID
                case ("webhooks", "webhook"): theirHook
                default: nil
                }
            }
            // Bodies that name B's objects where a body names anything.
            let bodies: [String: String] = [
                "POST /api/incidents": #"{"service":"b-desk","title":"x"}"#,
                "POST /api/incidents/{id}/escalate": #"{"layer":1}"#, "POST /api/incidents/{id}/snooze": #"{"duration":"5m"}"#,
                "POST /api/incidents/{id}/reassign": #"{"technician":"b-zoe"}"#, "POST /api/incidents/{id}/notes": #"{"text":"x"}"#,
                "POST /api/ops/incidents/{id}/force": #"{"state":"resolved","reason":"x"}"#,
                "POST /api/schedules/{id}/overrides": #"{"technician":"b-zoe","start":"2027-01-01T00:00","end":"2027-01-02T00:00"}"#,
                "POST /api/technicians": #"{"name":"x","contact_methods":[{"id":"b-alice-hook","type":"webhook","url":"http://127.0.0.1:9/x"}]}"#,
                "POST /api/schedules": #"{"name":"x","time_zone":"UTC","layers":[{"name":"l","rotation":"daily","handoff":"2026-01-05T00:00","members":["b-zoe"]}]}"#,
                "POST /api/escalation_policies": #"{"name":"x","layers":[{"delay":"5m","targets":[{"schedule":"b-night"}]}]}"#,
                "POST /api/services": #"{"name":"x","escalation_policy":"b-policy"}"#,
                "POST /api/integrations": #"{"type":"generic","service":"b-desk"}"#,
                "PUT /api/routes": #"{"rmm":"b-desk"}"#,
                "PUT /api/technicians/{id}": #"{"name":"x"}"#, "PUT /api/schedules/{id}": #"{"name":"x","time_zone":"UTC","layers":[]}"#,
                "PUT /api/escalation_policies/{id}": #"{"name":"x","layers":[{"delay":"5m","targets":[{"technician":"alice"}]}]}"#,
                "PUT /api/services/{id}": #"{"name":"x","escalation_policy":"standard"}"#,
                "PUT /api/integrations/{id}": #"{"type":"generic","service":"endpoints"}"#,
            ]
            // Platform endpoints (no tenant data), the operator's all-tenants page, and links signed per page.
            let platform: Set<String> = ["GET /healthz", "GET /readyz", "GET /openapi.json", "GET /metrics", "GET /ops", "GET /ack/{token}", "POST /ack/{token}"]

            var calls = 0
            var leaks: [String] = []
            // PUTs last: a PUT naming an id only B uses creates A's own object of that id, which later calls would then
            // rightly find.
            let ordered = document.operations.filter { $0.method != "PUT" } + document.operations.filter { $0.method == "PUT" }
            for operation in ordered where !platform.contains("\(operation.method) \(operation.path)") {
                let key = "\(operation.method) \(operation.path)"
                var path = operation.path
                var reachesB = false
                var unresolved = false
                for name in ["id", "index", "webhook", "token"] where path.contains("{\(name)}") {
                    guard let value = theirID(operation.path, name) else { unresolved = true; break }
                    path = path.replacingOccurrences(of: "{\(name)}", with: value)
                    reachesB = true
                }
                #expect(!unresolved, "\(key): no object of B for its parameters (extend theirID)")
                if unresolved { continue }
                if operation.path.hasPrefix("/api/bridge") || operation.path == "/api/search" {
                    // A's bridge key, B's tenant id: refused whatever else is right.
                    let query = operation.path == "/api/search" ? "?q=theirs&tenant_id=other-msp" : ""
                    let response = try await h.request(operation.method, path + query, token: nil, headers: [("X-Integration-Key", ourKey), ("X-Tenant-Id", "other-msp")])
                    calls += 1
                    if response.status != 401 { leaks.append("\(key) with A's bridge key for B: \(response.status)") }
                    continue
                }
                if operation.path.hasPrefix("/api/webhooks") || operation.path.hasPrefix("/api/internal") {
                    // B's webhook with A's key (Defend is the platform's service key: not a tenant's to hold).
                    let response = try await h.request(operation.method, path, token: nil, json: #"{"title":"x"}"#, headers: [("X-Integration-Key", ourKey)])
                    calls += 1
                    if response.status < 400 { leaks.append("\(key) on B's webhook with A's key: \(response.status)") }
                    continue
                }
                for role in ["owner", "admin", "member", "ops"] {
                    let response = role == "ops"
                        ? try await h.request(operation.method, path, token: AdminHarness.opsKey, json: bodies[key], headers: [("X-Tenant-Id", "acme-msp")])
                        : try await h.as(role, operation.method, path, json: bodies[key])
                    calls += 1
                    if response.status >= 500 { leaks.append("\(key) as \(role): \(response.status) \(response.text.prefix(200))") }
                    // Writing an id only B uses makes A's own object (checked below: B's is untouched); nothing else of B answers 2xx.
                    if reachesB && (200..<300).contains(response.status) && operation.method != "PUT" {
                        leaks.append("\(key) as \(role) reached B's object: \(response.status) \(response.text.prefix(200))")
                    }
                    // An answer may repeat what the caller sent ("no service 'b-desk'"); anything else of B is a leak.
                    let sent = path + (bodies[key] ?? "")
                    if let marker = Self.markers.first(where: { response.text.contains($0) && !sent.contains($0) }) {
                        leaks.append("\(key) as \(role) shows B's '\(marker)': \(response.text.prefix(200))")
                    }
                }
            }
            #expect(leaks.isEmpty, "\(leaks.count) leaks:\n\(leaks.joined(separator: "\n"))")
            #expect(calls > 200, "the matrix ran \(calls) calls")

            let after = try #require(try await h.domain.load(tenantID: "other-msp"))
            #expect(after.configuration == before.configuration && after.integrations == before.integrations, "B's set-up is untouched")
            let still = try await asB("GET", "/api/incidents/\(incident)")
            #expect(still.object["state"] as? String == "escalating" && still.object["title"] as? String == "Theirs-7f2c", "\(still.text)")
            #expect(try await SQL.strings(h.url, "SELECT status FROM outbox WHERE id = \(outboxID)") == ["dead"], "B's dead letter was not retried")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incident_journal WHERE incident_id = '\(incident)'") == journalBefore,
                    "nothing was added to B's timeline")
        }
    }
}
