import Foundation
import Testing
import OnCallCore
import OnCallStore
import OnCallTesting

/// `POST /api/webhooks/{id}` over real HTTP on a real PostgreSQL: the tools' real payloads in, incidents
/// out, and every refusal with its status.
@Suite("Webhooks")
struct WebhookTests {
    struct Door {
        var path: String
        var key: String
    }

    /// A new integration of `type` on a service, through the admin API (the key is shown once).
    static func integration(_ h: AdminHarness, _ body: String) async throws -> Door {
        let created = try await h.as("owner", "POST", "/api/integrations", json: body)
        #expect(created.status == 201, "\(created.text)")
        let url = try #require(created.object["webhook_url"] as? String)
        return Door(path: String(url.dropFirst("https://oncall.test".count)), key: try #require(created.object["key"] as? String))
    }

    static func send(_ h: AdminHarness, _ door: Door, fixture: (String, String)? = nil, body: String? = nil, contentType: String? = "application/json",
                     keyInQuery: Bool = false, key: String? = nil) async throws -> TestResponse {
        let bytes = try fixture.map { try Data(contentsOf: AdminHarness.repository.appendingPathComponent("fixtures/webhooks/\($0.0)/\($0.1)")) }.map(Array.init)
            ?? Array((body ?? "").utf8)
        var headers: [(String, String)] = []
        if let contentType { headers.append(("Content-Type", contentType)) }
        let presented = key ?? door.key
        var path = door.path
        if keyInQuery { path += "?key=\(presented)" } else { headers.append(("X-Integration-Key", presented)) }
        return try await TestHTTP.http1(port: h.port, "POST", path, headers: headers, body: bytes)
    }

    static func incident(_ h: AdminHarness, _ id: String) async throws -> [String: Any] {
        try await h.request("GET", "/api/incidents/\(id)", token: AdminHarness.opsKey, headers: [("X-Tenant-Id", "acme-msp")]).object
    }

    @Test func aNagiosProblemIsAcknowledgedThenResolvedByTheSameKey() async throws {
        try await AdminHarness.run { h in
            let nagios = try await Self.integration(h, #"{"id":"nagios-2","type":"nagios","service":"endpoints"}"#)
            let form = "application/x-www-form-urlencoded"
            let problem = try await Self.send(h, nagios, fixture: ("nagios", "service-problem.form"), contentType: form)
            #expect(problem.status == 202, "\(problem.text)")
            #expect(problem.object["action"] as? String == "trigger" && problem.object["dedup_key"] as? String == "web-01/HTTP")
            #expect(problem.object["deduplicated"] as? Bool == false)
            let id = try #require(problem.object["incident_id"] as? String)

            let again = try await Self.send(h, nagios, fixture: ("nagios", "service-problem.form"), contentType: form, keyInQuery: true)
            #expect(again.object["incident_id"] as? String == id && again.object["deduplicated"] as? Bool == true)

            let ack = try await Self.send(h, nagios, fixture: ("nagios", "service-acknowledgement.form"), contentType: form)
            #expect(ack.status == 202 && ack.object["action"] as? String == "acknowledge" && ack.object["incident_id"] as? String == id)
            #expect(try await Self.incident(h, id)["state"] as? String == "acknowledged")

            let recovery = try await Self.send(h, nagios, fixture: ("nagios", "service-recovery.form"), contentType: form)
            #expect(recovery.object["action"] as? String == "resolve" && recovery.object["incident_id"] as? String == id)
            let shown = try await Self.incident(h, id)
            #expect(shown["state"] as? String == "resolved" && shown["alert_count"] as? Int == 2)
            #expect(shown["source"] as? String == "nagios" && shown["device"] as? String == "web-01")
            #expect((shown["description"] as? String)?.contains("0 of 4 members healthy") == true)
            #expect(shown["acknowledged_by"] as? String == "integration:nagios-2")

            // Nothing open any more: a second recovery is a no-op, still 202.
            let late = try await Self.send(h, nagios, fixture: ("nagios", "service-recovery.form"), contentType: form)
            #expect(late.status == 202 && late.object["incident_id"] is NSNull)

            try await SQL.waitUntil(h.url, "SELECT count(*) FROM alerts", equals: 5)  // written in batches, just after the answers
            let logged = try await SQL.strings(h.url, "SELECT action || ':' || (incident_id IS NOT NULL) || ':' || (payload LIKE '%HOSTNAME=web-01%') FROM alerts ORDER BY id")
            #expect(logged == ["trigger:true:true", "trigger:true:true", "acknowledge:true:true", "resolve:true:true", "resolve:false:true"])
        }
    }

    @Test func eachSourcesRealPayloadOpensAnIncident() async throws {
        try await AdminHarness.run { h in
            let cases: [(type: String, fixture: String, contentType: String, key: String?)] = [
                ("generic", "full.json", "application/json", nil),
                ("icinga", "forwarded-service-problem.json", "application/x-www-form-urlencoded", nil),
                ("zabbix", "problem.json", "application/json", nil),
                ("datadog", "custom-triggered.json", "application/json", nil),
                ("pagerduty", "v2-trigger.json", "application/json", nil),
                ("alertmanager", "firing-two-alerts.json", "application/json", nil),
                ("grafana", "firing.json", "application/json", nil),
            ]
            for (index, c) in cases.enumerated() {
                let door = try await Self.integration(h, #"{"id":"door-\#(index)","type":"\#(c.type)","service":"web"}"#)
                let answer = try await Self.send(h, door, fixture: (c.type, c.fixture), contentType: c.contentType)
                #expect(answer.status == 202, "\(c.type): \(answer.text)")
                #expect(answer.object["action"] as? String == "trigger", "\(c.type): \(answer.text)")
                let id = try #require(answer.object["incident_id"] as? String, "\(c.type)")
                #expect(try await Self.incident(h, id)["source"] as? String == c.type)
            }
        }
    }

    @Test func perAlertGroupingAnswersOneEntryPerAlert() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"prom","type":"alertmanager","service":"web","grouping":"per_alert"}"#)
            let answer = try await Self.send(h, door, fixture: ("alertmanager", "firing-two-alerts.json"))
            #expect(answer.status == 202)
            let alerts = answer.object["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.count == 2 && Set(alerts.compactMap { $0["incident_id"] as? String }).count == 2, "\(answer.text)")
        }
    }

    @Test func refusalsHaveTheirStatusAndChangeNothing() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"script","type":"generic","service":"backups"}"#)
            let wrongKey = try await Self.send(h, door, body: #"{"title":"x"}"#, key: "oc_not-the-key")
            let unknown = try await Self.send(h, Door(path: "/api/webhooks/nope", key: door.key), body: #"{"title":"x"}"#)
            var noKey = try await TestHTTP.http1(port: h.port, "POST", door.path, headers: [("Content-Type", "application/json")], body: Array(#"{"title":"x"}"#.utf8))
            #expect(wrongKey.status == 401 && unknown.status == 401 && noKey.status == 401)
            #expect(wrongKey.text == unknown.text && unknown.text == noKey.text, "one body whatever was wrong")

            let bridge = try await h.as("owner", "POST", "/api/integrations/noc-wall/rotate")
            let bridgeDoor = Door(path: String((bridge.object["webhook_url"] as? String ?? "").dropFirst("https://oncall.test".count)), key: bridge.object["key"] as? String ?? "")
            #expect(try await Self.send(h, bridgeDoor, body: #"{"title":"x"}"#).status == 401, "a bridge key opens no incident")

            #expect(try await Self.send(h, door, body: "GIF89a", contentType: "image/gif").status == 415)
            let broken = try await Self.send(h, door, body: "{\"title\": \"x\",\n \"severity\": }")
            #expect(broken.status == 400 && broken.text.contains("line 2"), "\(broken.text)")
            let huge = try await Self.send(h, door, body: #"{"title":""# + String(repeating: "x", count: 1_100_000) + #""}"#)
            #expect(huge.status == 413)
            noKey = try await Self.send(h, door, body: "")
            #expect(noKey.status == 400, "an empty body with no query fields is not an alert")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incidents WHERE tenant_id = 'acme-msp'") == ["0"])
        }
    }

    /// PostgreSQL text cannot hold NUL: an alert or a note carrying one must not fail (or fail a shared batch).
    @Test func aNulCharacterInAnAlertOrANoteIsKeptOutOfTheDatabase() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"script","type":"generic","service":"backups"}"#)
            async let hostile = Self.send(h, door, body: #"{"title":"disk\u0000full","dedup_key":"k\u0000ey","severity":"critical","description":"a\u0000b","details":{"x\u0000":"y\u0000"}}"#)
            async let neighbour = Self.send(h, door, body: #"{"title":"neighbour","dedup_key":"n1","severity":"critical"}"#)
            let (bad, good) = try await (hostile, neighbour)
            #expect(good.status == 202, "\(good.text)")
            #expect(bad.status == 202, "\(bad.text)")
            let id = try #require(bad.object["incident_id"] as? String)
            let incident = try await Self.incident(h, id)
            #expect(incident["title"] as? String == "disk\u{FFFD}full", "\(incident)")
            let note = try await h.request("POST", "/api/incidents/\(id)/notes", token: AdminHarness.opsKey, json: #"{"text":"see\u0000log"}"#,
                                           headers: [("X-Tenant-Id", "acme-msp")])
            #expect(note.status == 200, "\(note.text)")
            let technician = try await h.as("owner", "POST", "/api/technicians", json: #"{"name":"Nul\u0000l"}"#)
            #expect(technician.status == 422 && technician.text.contains("NUL"), "\(technician.text)")
            let opened = try await h.as("owner", "POST", "/api/incidents", json: #"{"service":"backups","title":"by\u0000hand"}"#)
            #expect(opened.status == 201, "\(opened.text)")
            // In a query string or a tenant id: 400, not a database error (found by ops/openapi/schemathesis).
            #expect(try await h.as("member", "GET", "/api/incidents?text=a%00b").status == 400)
            #expect(try await h.request("GET", "/api/ops/outbox?kind=a%00b", token: AdminHarness.opsKey, headers: [("X-Tenant-Id", "acme-msp")]).status == 400)
            let defend = try await h.request("POST", "/api/internal/defend/escalations", token: nil,
                                             json: #"{"tenant_id":"acme\u0000","threat_id":"t","severity":"critical"}"#, headers: [("X-Service-Key", AdminHarness.defendKey)])
            #expect(defend.status == 400 || defend.status == 422, "\(defend.text)")
        }
    }

    @Test func aRotatedKeyIsRefusedOnItsNextUse() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"script","type":"generic","service":"backups"}"#)
            #expect(try await Self.send(h, door, body: #"{"title":"Backup failed","dedup_key":"job-7"}"#).status == 202)
            let rotated = try await h.as("owner", "POST", "/api/integrations/script/rotate")
            let newKey = try #require(rotated.object["key"] as? String)
            let old = try await Self.send(h, door, body: #"{"title":"Backup failed","dedup_key":"job-7"}"#)
            #expect(old.status == 401)
            let fresh = try await Self.send(h, door, body: #"{"title":"Backup failed","dedup_key":"job-7"}"#, key: newKey)
            #expect(fresh.status == 202 && fresh.object["deduplicated"] as? Bool == true)
        }
    }

    /// Webhook keys are checked against a cached hash; a rotation committed by another node (here: straight
    /// through the store, as `oncall apply` or a second server would) reaches this one through `oncall_tenants`
    /// well before the cache's 5 s would expire.
    @Test func aKeyRotatedElsewhereIsRefusedHereWithinMilliseconds() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"script","type":"generic","service":"backups"}"#)
            #expect(try await Self.send(h, door, body: #"{"title":"Backup failed","dedup_key":"job-7"}"#).status == 202)
            let report = try await h.domain.update(tenantID: "acme-msp", rotateKeys: ["script"]) { try #require($0).configuration }
            let newKey = try #require(report.issuedKeys.first?.key)
            let rotatedAt = ContinuousClock.now
            var status = 202
            while status != 401 && ContinuousClock.now - rotatedAt < .seconds(3) {
                status = try await Self.send(h, door, body: #"{"title":"Backup failed","dedup_key":"job-7"}"#).status
                if status != 401 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(status == 401, "the old key still works \(ContinuousClock.now - rotatedAt) after the rotation")
            #expect(try await Self.send(h, door, body: #"{"title":"Backup failed","dedup_key":"job-7"}"#, key: newKey).status == 202)
        }
    }

    @Test func anIntegrationOverItsRateGets429WithRetryAfter() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"chatty","type":"generic","service":"backups","rate_per_second":1,"burst":2}"#)
            for n in 0..<2 {
                #expect(try await Self.send(h, door, body: #"{"title":"t","dedup_key":"k\#(n)"}"#).status == 202)
            }
            let limited = try await Self.send(h, door, body: #"{"title":"t","dedup_key":"k9"}"#)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == "1")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incidents WHERE dedup_key = 'k9'") == ["0"])
        }
    }

    @Test func aRepeatAtAHigherSeverityRaisesTheIncidentAndStartsPaging() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"script","type":"generic","service":"backups"}"#)
            let low = try await Self.send(h, door, body: #"{"title":"Disk 85% full","severity":"low","dedup_key":"disk-c"}"#)
            let id = try #require(low.object["incident_id"] as? String)
            #expect(try await Self.incident(h, id)["state"] as? String == "triggered", "low pages no one")
            let critical = try await Self.send(h, door, body: #"{"title":"Disk 99% full","severity":"critical","dedup_key":"disk-c"}"#)
            #expect(critical.object["incident_id"] as? String == id && critical.object["deduplicated"] as? Bool == true)
            let shown = try await Self.incident(h, id)
            #expect(shown["severity"] as? String == "critical" && shown["state"] as? String == "escalating", "\(shown)")
        }
    }

    @Test func aScriptCanSendEverythingInTheURL() async throws {
        try await AdminHarness.run { h in
            let door = try await Self.integration(h, #"{"id":"cron","type":"generic","service":"backups"}"#)
            let path = door.path + "?key=\(door.key)&title=Nightly%20backup%20failed&severity=high&dedup_key=nightly"
            let answer = try await TestHTTP.http1(port: h.port, "POST", path, headers: [], body: nil)
            #expect(answer.status == 202, "\(answer.text)")
            let shown = try await Self.incident(h, try #require(answer.object["incident_id"] as? String))
            #expect(shown["title"] as? String == "Nightly backup failed" && shown["severity"] as? String == "high" && shown["dedup_key"] as? String == "nightly")
        }
    }
}

/// Heartbeats on real time: a missed check-in opens an incident, the next check-in resolves it.
@Suite("Heartbeats")
struct HeartbeatTests {
    @Test func aMissedCheckInOpensAnIncidentAndTheNextResolvesIt() async throws {
        try await AdminHarness.run { h in
            let door = try await WebhookTests.integration(h, #"{"id":"nightly","type":"heartbeat","service":"backups","interval":"1s","grace":"0s"}"#)
            let first = try await TestHTTP.http1(port: h.port, "GET", door.path + "?key=\(door.key)")
            #expect(first.status == 202 && first.object["action"] as? String == "check_in" && first.object["incident_id"] is NSNull, "\(first.text)")
            #expect(first.object["next_due"] is String)

            try await SQL.waitUntil(h.url, "SELECT count(*) FROM incidents WHERE dedup_key = 'heartbeat:nightly' AND is_open", equals: 1, timeout: .seconds(15))
            let opened = try await SQL.strings(h.url, "SELECT id::text || ' ' || severity || ' ' || source FROM incidents WHERE dedup_key = 'heartbeat:nightly'")
            let id = String(opened.first?.prefix(36) ?? "")
            #expect(opened.first?.hasSuffix(" high heartbeat") == true, "\(opened)")

            let back = try await WebhookTests.send(h, door, body: "job finished")
            #expect(back.status == 202 && back.object["incident_id"] as? String == id, "\(back.text)")
            #expect(try await SQL.strings(h.url, "SELECT state FROM incidents WHERE id = '\(id)'") == ["resolved"])
        }
    }

    @Test func alertIntegrationsRefuseGETAndHeartbeatsNeedAnInterval() async throws {
        try await AdminHarness.run { h in
            let door = try await WebhookTests.integration(h, #"{"id":"script","type":"generic","service":"backups"}"#)
            #expect(try await TestHTTP.http1(port: h.port, "GET", door.path + "?key=\(door.key)").status == 405)
            let noInterval = try await h.as("owner", "POST", "/api/integrations", json: #"{"type":"heartbeat","service":"backups"}"#)
            #expect(noInterval.status == 422 && noInterval.text.contains("interval"))
        }
    }
}
