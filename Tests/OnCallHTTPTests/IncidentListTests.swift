import Foundation
import OnCallTesting
import Testing

/// `GET /api/incidents` (filters, cursor pages) and the technician's actions, over real HTTP.
@Suite("Incident list and actions")
struct IncidentListTests {
    static func open(_ h: AdminHarness, _ title: String, severity: String, key: String) async throws -> [String: Any] {
        let created = try await h.as("owner", "POST", "/api/incidents", json: #"{"service":"backups","title":"\#(title)","severity":"\#(severity)","dedup_key":"\#(key)"}"#)
        #expect(created.status == 201, "\(created.text)")
        return try #require(created.object["incident"] as? [String: Any])
    }

    static func numbers(_ response: TestResponse) -> [Int] {
        (response.object["incidents"] as? [[String: Any]] ?? []).compactMap { $0["number"] as? Int }
    }

    @Test func pagesFiltersAndTenantIsolation() async throws {
        try await AdminHarness.run { h in
            var made: [[String: Any]] = []
            for (index, (title, severity)) in [("Disk C: full on FS01", "high"), ("RAID degraded", "critical"), ("Backup 50% slower", "low"),
                                               ("Disk D: full on FS02", "medium"), ("VPN down", "critical")].enumerated() {
                made.append(try await Self.open(h, title, severity: severity, key: "k\(index)"))
            }
            let all = made.compactMap { $0["number"] as? Int }.sorted(by: >)
            let resolvedID = try #require(made[1]["id"] as? String)
            #expect(try await h.as("member", "POST", "/api/incidents/\(resolvedID)/resolve").status == 200)

            // Pages of two, newest first, until next_cursor is null.
            var seen: [Int] = []
            var path = "/api/incidents?limit=2"
            for _ in 0..<5 {
                let page = try await h.as("member", "GET", path)
                #expect(page.status == 200)
                seen += Self.numbers(page)
                guard let cursor = page.object["next_cursor"] as? String else { break }
                path = "/api/incidents?limit=2&cursor=\(cursor)"
            }
            #expect(seen == all)

            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?severity=critical")) == [all[0], all[3]])
            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?open=false")) == [made[1]["number"] as! Int])
            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?text=disk&open=true")) == [all[1], all[4]])
            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?text=50%25")) == [made[2]["number"] as! Int], "% is a character, not a wildcard")
            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?text=%23\(all[2])")) == [all[2]])
            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?state=triggered,escalating&severity=low,medium")).count == 2)
            #expect(Self.numbers(try await h.as("member", "GET", "/api/incidents?since=2999-01-01T00:00:00Z")).isEmpty)
            #expect(Self.numbers(try await h.as("owner", "GET", "/api/incidents", tenant: "other-msp")).isEmpty, "another tenant sees none")

            let badSeverity = try await h.as("member", "GET", "/api/incidents?severity=urgent")
            #expect(badSeverity.status == 400 && badSeverity.text.contains("severity"))
            #expect(try await h.as("member", "GET", "/api/incidents?cursor=xyz").status == 400)
            #expect(try await h.as("member", "GET", "/api/incidents?limit=0").status == 400)
        }
    }

    @Test func actionsAnswerTheIncidentOr409NamingTheState() async throws {
        try await AdminHarness.run { h in
            let id = try #require(try await Self.open(h, "Printer on fire", severity: "critical", key: "printer")["id"] as? String)
            let early = try await h.as("member", "POST", "/api/incidents/\(id)/snooze", json: #"{"duration":"30m"}"#)
            #expect(early.status == 409 && early.text.contains("escalating"), "\(early.text)")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/acknowledge").object["state"] as? String == "acknowledged")
            let again = try await h.as("member", "POST", "/api/incidents/\(id)/acknowledge")
            #expect(again.status == 200 && again.object["state"] as? String == "acknowledged", "a repeat answers the incident")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/snooze", json: #"{"duration":"30m"}"#).status == 200)
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/snooze", json: #"{"duration":"forever"}"#).status == 422)
            let unacked = try await h.as("member", "POST", "/api/incidents/\(id)/unacknowledge")
            #expect(unacked.status == 200 && unacked.object["state"] as? String == "escalating", "\(unacked.text)")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/escalate", json: #"{}"#).status == 422)
            let tooFar = try await h.as("member", "POST", "/api/incidents/\(id)/escalate", json: #"{"layer":99}"#)
            #expect(tooFar.status == 409, "\(tooFar.text)")
            let escalated = try await h.as("member", "POST", "/api/incidents/\(id)/escalate", json: #"{"layer":1}"#)
            #expect(escalated.status == 200 && escalated.object["layer"] as? Int == 1, "\(escalated.text)")
            let toBob = try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"technician":"bob"}"#)
            #expect(toBob.status == 200 && toBob.object["assigned_to"] as? String == "bob", "\(toBob.text)")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"technician":"bob"}"#).status == 200, "a repeat")
            let toPolicy = try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"policy":"security-first"}"#)
            #expect(toPolicy.status == 200 && toPolicy.object["escalation_policy"] as? String == "security-first" && toPolicy.object["assigned_to"] == nil, "\(toPolicy.text)")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"technician":"nobody"}"#).status == 422)
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"policy":"b-policy"}"#).status == 422, "another tenant's policy")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"technician":"bob","policy":"standard"}"#).status == 422)
            let timeline = try await h.as("member", "GET", "/api/incidents/\(id)")
            let kinds = (timeline.object["timeline"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.filter { $0 == "incident.reassigned" }.count == 2 && kinds.contains("technician.paged"))
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/resolve").object["state"] as? String == "resolved")
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/reassign", json: #"{"technician":"bob"}"#).status == 409)
            let late = try await h.as("member", "POST", "/api/incidents/\(id)/acknowledge")
            #expect(late.status == 409 && late.text.contains("resolved"))
        }
    }
}
