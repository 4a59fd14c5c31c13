import Foundation
import OnCallTesting
import Testing

/// The Bridge API: a bridge key and its tenant, read-only views of incidents, schedules and policies.
@Suite("Bridge API")
struct BridgeTests {
    static func get(_ h: AdminHarness, _ path: String, key: String?, tenant: String?) async throws -> TestResponse {
        var headers: [(String, String)] = []
        if let key { headers.append(("X-Integration-Key", key)) }
        if let tenant { headers.append(("X-Tenant-Id", tenant)) }
        return try await TestHTTP.http1(port: h.port, "GET", path, headers: headers)
    }

    @Test func aBridgeKeyReadsItsTenantAndNothingElse() async throws {
        try await AdminHarness.run { h in
            let key = try #require(try await h.as("owner", "POST", "/api/integrations/noc-wall/rotate").object["key"] as? String)
            let open = try await h.as("owner", "POST", "/api/incidents", json: #"{"service":"backups","title":"Backup failed","severity":"high"}"#)
            let closed = try await h.as("owner", "POST", "/api/incidents", json: #"{"service":"backups","title":"VPN flapped","severity":"low"}"#)
            let closedID = try #require((closed.object["incident"] as? [String: Any])?["id"] as? String)
            #expect(try await h.as("owner", "POST", "/api/incidents/\(closedID)/resolve").status == 200)
            #expect(open.status == 201)

            let incidents = try await Self.get(h, "/api/bridge/incidents", key: key, tenant: "acme-msp")
            #expect(incidents.status == 200, "\(incidents.text)")
            let listed = (incidents.object["incidents"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
            #expect(listed == ["VPN flapped", "Backup failed"], "open and recently resolved, newest first")
            let later = try await Self.get(h, "/api/bridge/incidents?since=2999-01-01T00:00:00Z", key: key, tenant: "acme-msp")
            #expect((later.object["incidents"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String } == ["Backup failed"], "only the open one")

            let schedules = try await Self.get(h, "/api/bridge/schedules", key: key, tenant: "acme-msp")
            let ids = (schedules.object["schedules"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == ["primary", "security"])
            let primary = (schedules.object["schedules"] as? [[String: Any]])?.first
            #expect((primary?["layers"] as? [[String: Any]])?.isEmpty == false)

            let policies = try await Self.get(h, "/api/bridge/escalations", key: key, tenant: "acme-msp")
            let standard = (policies.object["escalation_policies"] as? [[String: Any]])?.first { $0["id"] as? String == "standard" }
            #expect(standard?["layers"] != nil && (standard?["services"] as? [String]) != nil, "\(policies.text)")

            // One refusal for every wrong thing: another tenant's id, a wrong key, a missing header, a webhook key.
            let refusals = [
                try await Self.get(h, "/api/bridge/incidents", key: key, tenant: "other-msp"),
                try await Self.get(h, "/api/bridge/incidents", key: key + "x", tenant: "acme-msp"),
                try await Self.get(h, "/api/bridge/schedules", key: key, tenant: nil),
                try await Self.get(h, "/api/bridge/escalations", key: nil, tenant: "acme-msp"),
            ]
            #expect(refusals.allSatisfy { $0.status == 401 })
            #expect(Set(refusals.map(\.text)).count == 1, "the same body whatever was wrong")
            #expect(!refusals[0].text.contains("Backup failed"))
        }
    }

    /// Search: ranked hits of every kind, typos forgiven, SQL metacharacters harmless, one tenant only.
    @Test func searchRanksIncidentsAndSetUpAndStaysInItsTenant() async throws {
        try await AdminHarness.run { h in
            let key = try #require(try await h.as("owner", "POST", "/api/integrations/noc-wall/rotate").object["key"] as? String)
            let made = try await h.as("owner", "POST", "/api/incidents", json: #"{"service":"backups","title":"Nightly backup failed on FS01","severity":"high","dedup_key":"veeam-job-7"}"#)
            let number = try #require((made.object["incident"] as? [String: Any])?["number"] as? Int)
            _ = try await h.as("owner", "POST", "/api/incidents", json: #"{"service":"backups","title":"Printer jam","severity":"low"}"#, tenant: "other-msp")

            func search(_ q: String, tenant: String = "acme-msp") async throws -> [[String: Any]] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
                let response = try await Self.get(h, "/api/search?q=\(encoded)&tenant_id=\(tenant)", key: key, tenant: nil)
                #expect(response.status == 200, "\(response.text)")
                return response.object["results"] as? [[String: Any]] ?? []
            }
            let backup = try await search("backup")
            #expect(backup.contains { $0["kind"] as? String == "incident" && $0["title"] as? String == "Nightly backup failed on FS01" })
            #expect(backup.contains { $0["kind"] as? String == "service" && $0["id"] as? String == "backups" })
            #expect(try await search("backpu failed").first?["title"] as? String == "Nightly backup failed on FS01", "a typo still finds it")
            #expect(try await search("#\(number)").first?["detail"] as? String == "#\(number) · high · escalating")
            #expect(try await search("veeam-job-7").first?["kind"] as? String == "incident")
            #expect(try await search("alice").contains { $0["kind"] as? String == "technician" && $0["id"] as? String == "alice" })
            #expect(try await search("primary").contains { $0["kind"] as? String == "schedule" })
            #expect(try await search("printer").isEmpty, "another tenant's incident is not found")
            #expect(try await search("'; DROP TABLE incidents; --").isEmpty)
            #expect(try await search("%_\\").isEmpty)
            for hostile in ["' OR '1'='1", "$1", "a) OR (1=1", "\\x27", "😀 backup"] {
                _ = try await search(hostile)
            }
            for refused in ["x\u{0}y", String(repeating: "backup ", count: 40)] {
                let encoded = refused.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? refused
                #expect(try await Self.get(h, "/api/search?q=\(encoded)&tenant_id=acme-msp", key: key, tenant: nil).status == 400)
            }
            let other = try await Self.get(h, "/api/search?q=printer&tenant_id=other-msp", key: key, tenant: nil)
            #expect(other.status == 401, "a key searches its own tenant only")
            #expect(try await h.as("owner", "GET", "/api/incidents").status == 200, "the incidents table is still there")
        }
    }
}
