import Foundation
import Testing
import OnCallCore
import OnCallTesting

/// Defend's escalations over real HTTP: the service key, the tenant's defend route, critical/high only.
@Suite("Defend escalations")
struct DefendTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: AdminHarness.repository.appendingPathComponent("fixtures/defend/\(name)")))
    }

    static func post(_ h: AdminHarness, _ body: [UInt8], key: String? = AdminHarness.defendKey) async throws -> TestResponse {
        var headers = [("Content-Type", "application/json")]
        if let key { headers.append(("X-Service-Key", key)) }
        return try await TestHTTP.http1(port: h.port, "POST", "/api/internal/defend/escalations", headers: headers, body: body)
    }

    @Test func aCriticalThreatOpensOneIncidentOnTheDefendRoute() async throws {
        try await AdminHarness.run { h in
            let first = try await Self.post(h, try Self.fixture("ransomware-critical.json"))
            #expect(first.status == 202, "\(first.text)")
            #expect(first.object["action"] as? String == "trigger" && first.object["dedup_key"] as? String == "defend:thr_01JD7M2Q8ZK4V9N6R3T5W1X0YB")
            let id = try #require(first.object["incident_id"] as? String)
            let again = try await Self.post(h, try Self.fixture("ransomware-critical.json"))
            #expect(again.object["incident_id"] as? String == id && again.object["deduplicated"] as? Bool == true, "dedup on the threat id")

            let shown = try await h.request("GET", "/api/incidents/\(id)", token: AdminHarness.opsKey, headers: [("X-Tenant-Id", "acme-msp")]).object
            #expect(shown["service_id"] as? String == "security-ops", "acme routes defend alerts to security-ops")
            #expect(shown["title"] as? String == "T1486 Data Encrypted for Impact on ACME-FIN-LT-014")
            #expect(shown["severity"] as? String == "critical" && shown["device"] as? String == "ACME-FIN-LT-014" && shown["source"] as? String == "defend")
            #expect((shown["description"] as? String)?.contains("Isolate the device") == true)
            let details = shown["details"] as? [String: String]
            #expect(details?["mitre_technique_id"] == "T1486" && details?["mitre_technique_name"] == "Data Encrypted for Impact")
        }
    }

    @Test func mediumAndLowAreAnsweredIgnoredAndCounted() async throws {
        try await AdminHarness.run { h in
            let medium = try await Self.post(h, try Self.fixture("credential-dumping-medium.json"))
            #expect(medium.status == 202 && medium.object["action"] as? String == "ignored" && medium.object["incident_id"] is NSNull)
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incidents") == ["0"])
            #expect(try await SQL.strings(h.url, "SELECT action FROM alerts WHERE source = 'defend'") == ["ignored"])
        }
    }

    @Test func theServiceKeyIsRequiredAndBadBodiesAreNamed() async throws {
        try await AdminHarness.run { h in
            let body = try Self.fixture("ransomware-critical.json")
            #expect(try await Self.post(h, body, key: nil).status == 401)
            #expect(try await Self.post(h, body, key: "defend-key-for-test").status == 401)
            let noThreat = try await Self.post(h, Array(#"{"tenant_id":"acme-msp","severity":"critical"}"#.utf8))
            #expect(noThreat.status == 422 && noThreat.text.contains("threat_id"))
            let badSeverity = try await Self.post(h, Array(#"{"tenant_id":"acme-msp","threat_id":"t1","severity":"apocalyptic"}"#.utf8))
            #expect(badSeverity.status == 422 && badSeverity.text.contains("severity"))
            let noRoute = try await Self.post(h, Array(#"{"tenant_id":"other-msp","threat_id":"t1","severity":"high"}"#.utf8))
            #expect(noRoute.status == 422 && noRoute.text.contains("no route for defend"), "\(noRoute.text)")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incidents") == ["0"])
        }
    }
}
