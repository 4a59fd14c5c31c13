import Crypto
import Foundation
import Testing
import OnCallCore
import OnCallStore
import OnCallTesting

/// The admin API over real HTTP on a real PostgreSQL: who may do what (every cell of docs/security.md),
/// tenant isolation on every endpoint, 422 with field paths, integration keys, on-call answers, first login.
@Suite("Admin API")
struct AdminAPITests {
    static let backups = #"{"id":"backups","name":"Backups","escalation_policy":"standard","workflow":"incident"}"#

    /// Each permission exercised through a real endpoint, for each Hub role: 403 exactly where the matrix says.
    @Test func everyCellOfTheRoleMatrix() async throws {
        try await AdminHarness.run { h in
            let cells: [(Permission, String, String, String?)] = [
                (.read, "GET", "/api/services", nil),
                (.respond, "POST", "/api/incidents", #"{"service":"endpoints","title":"Disk full","severity":"low"}"#),
                (.configure, "PUT", "/api/services/backups", Self.backups),
                (.manageKeys, "POST", "/api/integrations/noc-wall/rotate", nil),
                (.readBilling, "GET", "/api/activity", nil),
            ]
            for (hubRole, role) in [("member", OnCallRole.responder), ("admin", .manager), ("owner", .owner)] {
                for (permission, method, path, body) in cells {
                    let response = try await h.as(hubRole, method, path, json: body)
                    if role.allows(permission) {
                        #expect((200..<300).contains(response.status), "\(hubRole) \(method) \(path): \(response.status) \(response.text)")
                    } else {
                        #expect(response.status == 403, "\(hubRole) \(method) \(path) must be refused: \(response.status)")
                        #expect(response.object["error"] != nil)
                    }
                }
            }
            // The matrix itself, as docs/security.md writes it.
            #expect(Permission.allCases.map { $0.minimumRole } == [.responder, .responder, .manager, .owner, .owner])
        }
    }

    @Test func tokensThatAreMissingWrongOrForeignAreRefused() async throws {
        try await AdminHarness.run { h in
            #expect(try await h.request("GET", "/api/services", token: nil).status == 401)
            #expect(try await h.request("GET", "/api/services", token: "not-a-jwt").status == 401)
            #expect(try await h.request("GET", "/api/services", token: try await h.token("member", issuer: "https://evil.test")).status == 401)
            #expect(try await h.request("GET", "/api/services", token: try await h.token("superuser")).status == 403)
            let ops = try await h.request("GET", "/api/services", token: AdminHarness.opsKey, headers: [("X-Tenant-Id", "acme-msp")])
            #expect(ops.status == 200)
            #expect(try await h.request("GET", "/api/services", token: AdminHarness.opsKey).status == 400, "the operator names the tenant")
        }
    }

    /// An owner of acme against every endpoint, aimed at the other tenant's objects: nothing is shown or changed.
    @Test func noEndpointReachesAnotherTenant() async throws {
        try await AdminHarness.run { h in
            let otherBefore = try #require(try await h.domain.load(tenantID: "other-msp"))
            let theirs = try await h.request(
                "POST", "/api/incidents", token: AdminHarness.opsKey, json: #"{"service":"b-desk","title":"Theirs","severity":"high"}"#,
                headers: [("X-Tenant-Id", "other-msp")]
            )
            #expect(theirs.status == 201)
            let incident = try #require((theirs.object["incident"] as? [String: Any])?["id"] as? String)

            // Lists show only acme's objects; an id both tenants use shows acme's.
            for (path, key, foreign) in [
                ("/api/technicians", "technicians", "b-zoe"), ("/api/schedules", "schedules", "b-night"),
                ("/api/escalation_policies", "escalation_policies", "b-policy"), ("/api/services", "services", "b-desk"),
                ("/api/integrations", "integrations", "b-wall"),
            ] {
                let list = try await h.as("owner", "GET", path)
                #expect(list.status == 200)
                let ids = (list.object[key] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(!ids.isEmpty && !ids.contains(foreign), "\(path): \(ids)")
            }
            #expect(try await h.as("owner", "GET", "/api/technicians/alice").object["name"] as? String == "Alice Moreau")
            #expect(try await h.as("owner", "GET", "/api/schedules/primary").object["name"] as? String == "Primary on-call")
            #expect(try await h.as("owner", "GET", "/api/routes").object["rmm"] as? String == "endpoints")

            // Their ids answer 404 on every endpoint that names one.
            let refused: [(String, String, String?)] = [
                ("GET", "/api/technicians/b-zoe", nil), ("DELETE", "/api/technicians/b-zoe", nil),
                ("GET", "/api/schedules/b-night", nil), ("DELETE", "/api/schedules/b-night", nil),
                ("GET", "/api/escalation_policies/b-policy", nil), ("DELETE", "/api/escalation_policies/b-policy", nil),
                ("GET", "/api/services/b-desk", nil), ("DELETE", "/api/services/b-desk", nil),
                ("GET", "/api/integrations/b-wall", nil), ("DELETE", "/api/integrations/b-wall", nil),
                ("PUT", "/api/integrations/b-hook", #"{"type":"generic","service":"endpoints"}"#),
                ("POST", "/api/integrations/b-wall/rotate", nil),
                ("GET", "/api/schedules/b-night/oncall", nil), ("GET", "/api/schedules/b-night/timeline", nil),
                ("POST", "/api/schedules/b-night/overrides", #"{"technician":"alice","start":"2027-01-01T00:00","end":"2027-01-02T00:00"}"#),
                ("DELETE", "/api/schedules/b-night/overrides/1", nil),
                ("GET", "/api/oncall?escalation_policy=b-policy", nil), ("GET", "/api/technicians/b-zoe/shifts.ics", nil),
                ("GET", "/api/incidents/\(incident)", nil), ("POST", "/api/incidents/\(incident)/acknowledge", nil),
                ("POST", "/api/incidents/\(incident)/resolve", nil), ("POST", "/api/incidents/\(incident)/notes", #"{"text":"hello"}"#),
            ]
            for (method, path, body) in refused {
                let response = try await h.as("owner", method, path, json: body)
                #expect(response.status == 404, "\(method) \(path): \(response.status) \(response.text)")
            }
            // Writes naming ids only they use create acme's own objects; theirs are untouched.
            let put = try await h.as("owner", "PUT", "/api/services/b-desk", json: #"{"name":"Acme's own desk","escalation_policy":"standard"}"#)
            #expect(put.status == 201)
            #expect(try await h.as("owner", "POST", "/api/technicians", json: #"{"id":"b-zoe","name":"Acme's Zoe"}"#).status == 201)
            #expect(try await h.as("owner", "PUT", "/api/routes", json: #"{"rmm":"b-desk","backups":"backups"}"#).status == 200)
            #expect(try await h.as("owner", "POST", "/api/integrations", json: #"{"id":"b-hook","type":"generic","service":"b-desk"}"#).status == 201)
            #expect(try await h.as("owner", "PUT", "/api/technicians/alice", json: #"{"name":"Alice M.","email":"alice@acme-msp.example","hub_user_id":"hub-7f3a","role":"admin"}"#).status == 200)

            let otherAfter = try #require(try await h.domain.load(tenantID: "other-msp"))
            #expect(otherAfter.configuration == otherBefore.configuration)
            #expect(otherAfter.integrations == otherBefore.integrations, "no key of theirs was rotated")
            let still = try await h.request("GET", "/api/incidents/\(incident)", token: AdminHarness.opsKey, headers: [("X-Tenant-Id", "other-msp")])
            #expect(still.object["state"] as? String == "escalating" && still.object["title"] as? String == "Theirs", "\(still.text)")
        }
    }

    @Test func invalidInputIs422WithTheFieldPathAndChangesNothing() async throws {
        try await AdminHarness.run { h in
            _ = try await h.as("admin", "GET", "/api/me")  // first login provisions the caller: not part of what is compared
            let before = try #require(try await h.domain.load(tenantID: "acme-msp")).configuration
            let unknownMember = try await h.as("admin", "PUT", "/api/schedules/security", json: """
                {"name":"Security desk","time_zone":"America/New_York","layers":[{"name":"Business hours","rotation":{"every":"12h"},
                 "handoff":"2026-11-02T08:00","members":["carol","zed"]}]}
                """)
            #expect(unknownMember.status == 422)
            #expect(Self.paths(unknownMember) == ["layers[0].members[1]"], "\(unknownMember.text)")
            #expect(unknownMember.text.contains("zed"))

            let overlap = try await h.as("admin", "POST", "/api/schedules/primary/overrides", json: #"{"technician":"bob","start":"2026-12-25T00:00","end":"2026-12-25T12:00"}"#)
            #expect(overlap.status == 422)
            #expect(Self.paths(overlap) == ["overrides[1]"], "\(overlap.text)")

            let zone = try await h.as("admin", "POST", "/api/schedules", json: #"{"name":"Mars","time_zone":"Mars/Olympus_Mons","layers":[]}"#)
            #expect(zone.status == 422)
            #expect(Self.paths(zone) == ["time_zone"], "\(zone.text)")

            let negative = try await h.as("admin", "PUT", "/api/technicians/dave", json: """
                {"name":"Dave Okafor","email":"dave@acme-msp.example","hub_user_id":"hub-0b17","role":"member",
                 "contact_methods":[{"id":"dave-hook","type":"webhook","url":"http://127.0.0.1:9911/pages/dave"}],
                 "notification_rules":[{"contact_method":"dave-hook","delay":"-5m"}]}
                """)
            #expect(negative.status == 422)
            #expect(Self.paths(negative) == ["notification_rules[0].delay"], "\(negative.text)")

            let typo = try await h.as("admin", "POST", "/api/escalation_policies", json: #"{"name":"X","layers":[{"delai":"5m","targets":[{"technician":"bob"}]}]}"#)
            #expect(typo.status == 422)
            #expect(Self.paths(typo).contains("layers[0].delai"), "\(typo.text)")

            let inUse = try await h.as("admin", "DELETE", "/api/technicians/bob")
            #expect(inUse.status == 409, "bob is in two rotations: \(inUse.text)")
            let mismatched = try await h.as("admin", "PUT", "/api/services/web", json: Self.backups)
            #expect(mismatched.status == 422)

            let after = try #require(try await h.domain.load(tenantID: "acme-msp")).configuration
            #expect(after == before)
        }
    }

    /// The secret pages are signed with: shown to those who manage keys, per tenant, rotated on request.
    @Test func theWebhookSigningSecretIsPerTenantAndRotates() async throws {
        try await AdminHarness.run { h in
            let first = try await h.as("owner", "GET", "/api/settings/webhook-signing-secret")
            #expect(first.status == 200 && first.object["header"] as? String == "X-OnCall-Signature")
            let secret = try #require(first.object["secret"] as? String)
            #expect(secret.hasPrefix("whsec_") && secret.count == 70)
            #expect(try await h.as("owner", "GET", "/api/settings/webhook-signing-secret").object["secret"] as? String == secret, "made once")
            #expect(try await h.as("member", "GET", "/api/settings/webhook-signing-secret").status == 403)
            let other = try await h.as("owner", "GET", "/api/settings/webhook-signing-secret", tenant: "other-msp")
            #expect((other.object["secret"] as? String).map { $0 != secret } == true, "each tenant has its own")
            let rotated = try await h.as("owner", "POST", "/api/settings/webhook-signing-secret/rotate")
            let fresh = try #require(rotated.object["secret"] as? String)
            #expect(fresh != secret)
            #expect(try await h.as("owner", "GET", "/api/settings/webhook-signing-secret").object["secret"] as? String == fresh)
        }
    }

    @Test func integrationKeysAreShownOnceAndARotatedKeyIsRefusedAtOnce() async throws {
        try await AdminHarness.run { h in
            let created = try await h.as("owner", "POST", "/api/integrations", json: #"{"id":"nightly","type":"generic","service":"backups"}"#)
            #expect(created.status == 201, "\(created.text)")
            let key = try #require(created.object["key"] as? String)
            let url = try #require(created.object["webhook_url"] as? String)
            #expect(url.hasPrefix("https://oncall.test/api/webhooks/"))
            let webhookID = String(url.dropFirst("https://oncall.test/api/webhooks/".count))

            let listed = try await h.as("member", "GET", "/api/integrations")
            let entries = listed.object["integrations"] as? [[String: Any]] ?? []
            #expect(entries.count == 9)
            #expect(entries.allSatisfy { $0["key"] == nil && ($0["webhook_url"] as? String)?.hasPrefix("https://oncall.test/api/webhooks/") == true })
            #expect(!listed.text.contains(key))

            #expect(try await h.domain.authenticate(webhookID: webhookID, key: key)?.integration.id == "nightly")
            // Stored as its SHA-256 only: the key itself is in no column of any row.
            let rows = try await SQL.strings(h.url, "SELECT row_to_json(i)::text FROM integrations i")
            #expect(!rows.isEmpty && !rows.contains { $0.contains(key) })
            #expect(try await SQL.strings(h.url, "SELECT encode(key_sha256, 'hex') FROM integrations WHERE id = 'nightly'")
                == [SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()])
            let rotated = try await h.as("owner", "POST", "/api/integrations/nightly/rotate")
            #expect(rotated.status == 200)
            let newKey = try #require(rotated.object["key"] as? String)
            #expect(newKey != key && rotated.object["webhook_url"] as? String == url)
            #expect(try await h.domain.authenticate(webhookID: webhookID, key: key) == nil, "the old key is dead at once")
            #expect(try await h.domain.authenticate(webhookID: webhookID, key: newKey)?.integration.id == "nightly")
            #expect(try await h.domain.authenticate(webhookID: "nope", key: newKey) == nil)

            let givenKey = try await h.as("owner", "POST", "/api/integrations", json: #"{"type":"generic","service":"backups","key":"mine-mine-mine-mine"}"#)
            #expect(givenKey.status == 422)
            #expect(try await h.as("admin", "DELETE", "/api/integrations/nightly").status == 204)
            #expect(try await h.domain.authenticate(webhookID: webhookID, key: newKey) == nil)
        }
    }

    /// The example schedules at chosen instants, including both sides of Europe's March 2027 change.
    @Test(arguments: [
        ("2026-11-03T12:00:00Z", "alice"),   // week 1 of the weekly rotation
        ("2026-11-07T12:00:00Z", "dave"),    // Saturday: the weekend layer wins
        ("2026-11-10T12:00:00Z", "bob"),     // week 2
        ("2026-12-25T12:00:00Z", "carol"),   // the Christmas override
        ("2027-03-22T07:30:00Z", "bob"),     // 08:30 CET: week 19's turn still runs (handoff 09:00 = 08:00Z)
        ("2027-03-22T08:30:00Z", "carol"),   // 09:30 CET: week 20
        ("2027-03-29T06:30:00Z", "carol"),   // 08:30 CEST, after the change: still week 20
        ("2027-03-29T07:30:00Z", "alice"),   // 09:30 CEST: the handoff stayed at 09:00 local (07:00Z)
    ])
    func whoIsOnCallInTheExampleSchedule(at: String, expected: String) async throws {
        try await AdminHarness.run("oncall-\(at)") { h in
            let answer = try await h.as("member", "GET", "/api/schedules/primary/oncall?at=\(at)")
            #expect(answer.status == 200)
            #expect(answer.object["technician"] as? String == expected, "\(answer.text)")
        }
    }

    @Test func policiesTimelinesAndCalendarFeeds() async throws {
        try await AdminHarness.run { h in
            let policy = try await h.as("member", "GET", "/api/oncall?at=2026-11-03T15:00:00Z&escalation_policy=security-first")
            let layers = (policy.object["escalation_policies"] as? [[String: Any]])?.first?["layers"] as? [[String: Any]] ?? []
            let first = layers.first?["targets"] as? [[String: Any]] ?? []
            #expect(first.map { $0["technician"] as? String } == ["carol", "alice"], "10:00 in New York: carol's business-hours turn; \(policy.text)")
            let night = try await h.as("member", "GET", "/api/oncall?at=2026-11-03T12:00:00Z&escalation_policy=security-first")
            let nightTargets = ((night.object["escalation_policies"] as? [[String: Any]])?.first?["layers"] as? [[String: Any]])?.first?["targets"] as? [[String: Any]] ?? []
            #expect(nightTargets.first?["technician"] is NSNull, "07:00 in New York is outside the restriction")

            let timeline = try await h.as("member", "GET", "/api/schedules/primary/timeline?from=2026-11-02T00:00:00Z&to=2026-11-09T12:00:00Z")
            let shifts = (timeline.object["shifts"] as? [[String: Any]] ?? []).map { "\($0["technician"]!) \($0["start"]!)" }
            #expect(shifts == [
                "alice 2026-11-02T08:00:00.000Z", "dave 2026-11-06T23:00:00.000Z", "alice 2026-11-08T23:00:00.000Z", "bob 2026-11-09T08:00:00.000Z",
            ], "\(timeline.text)")

            let feed = try await h.as("member", "GET", "/api/technicians/dave/shifts.ics?from=2026-11-02T00:00:00Z&to=2026-11-16T00:00:00Z")
            #expect(feed.status == 200)
            #expect(feed.header("Content-Type")?.hasPrefix("text/calendar") == true)
            #expect(feed.text.contains("BEGIN:VEVENT\r\n") && feed.text.contains("DTSTART:20261106T230000Z"))
            #expect(feed.text.components(separatedBy: "BEGIN:VEVENT").count - 1 == 2, "two weekends")
            #expect(try await h.as("member", "GET", "/api/schedules/primary/oncall?at=yesterday").status == 400)
        }
    }

    @Test func firstLoginProvisionsOrLinksTheTechnicianAndMarksTheDayActive() async throws {
        try await AdminHarness.run { h in
            let bob = try await h.request("GET", "/api/me", token: try await h.token("member", subject: "hub-91c2"))
            #expect((bob.object["technician"] as? [String: Any])?["id"] as? String == "bob")
            #expect(bob.object["role"] as? String == "responder")

            let newcomer = try await h.request("GET", "/api/me", token: try await h.token("member", subject: "hub-new", email: "newbie@acme-msp.example", name: "New Bie"))
            #expect((newcomer.object["technician"] as? [String: Any])?["id"] as? String == "newbie")

            let frank = #"{"id":"frank","name":"Frank","email":"Frank@acme-msp.example"}"#
            #expect(try await h.as("admin", "POST", "/api/technicians", json: frank).status == 201)
            let linked = try await h.request("GET", "/api/me", token: try await h.token("admin", subject: "hub-frank", email: "frank@ACME-msp.example"))
            let linkedTechnician = linked.object["technician"] as? [String: Any]
            #expect(linkedTechnician?["id"] as? String == "frank" && linkedTechnician?["hub_user_id"] as? String == "hub-frank")

            // Someone else's email (dave is already linked to another Hub user): a new technician without it, and
            // the tenant stays valid for every later admin change.
            let twin = try await h.request("GET", "/api/me", token: try await h.token("member", subject: "hub-twin", email: "dave@acme-msp.example"))
            let twinTechnician = twin.object["technician"] as? [String: Any]
            #expect(twinTechnician?["id"] as? String == "dave-2" && twinTechnician?["email"] is NSNull, "\(twin.text)")
            #expect(try await h.as("admin", "PUT", "/api/services/backups", json: Self.backups).status == 200)

            let day = String(ISO8601DateFormatter().string(from: h.now.date).prefix(10))
            let activity = try await h.as("owner", "GET", "/api/activity?from=\(day)&to=\(day)")
            let days = activity.object["days"] as? [[String: Any]] ?? []
            let active = Set(days.first?["technicians"] as? [String] ?? [])
            #expect(active.isSuperset(of: ["bob", "newbie", "frank"]), "\(activity.text)")
        }
    }

    static func paths(_ response: TestResponse) -> [String] {
        ((response.object["error"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }
}
