import Foundation
import OnCallTesting
import Testing

/// Ops over real HTTP on a real database: what is stuck and why, and the repairs (re-arm, force, retry).
@Suite("Ops: stuck workflows, repairs, integration health")
struct OpsTests {
    func ops(_ h: AdminHarness, _ method: String, _ path: String, json: String? = nil) async throws -> TestResponse {
        try await h.request(method, path, token: AdminHarness.opsKey, json: json, headers: [("X-Tenant-Id", "acme-msp")])
    }

    func stuck(_ h: AdminHarness) async throws -> [[String: Any]] {
        let response = try await ops(h, "GET", "/api/ops/workflows")
        #expect(response.status == 200, "\(response.text)")
        return response.object["stuck"] as? [[String: Any]] ?? []
    }

    /// Polls the stuck list until `done` holds (the timer service and the health writer run on their own).
    func waitForStuck(_ h: AdminHarness, _ what: String, _ done: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(20)
        var last: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            last = try await stuck(h)
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(what): still \(last)")
        return last
    }

    @Test func anOverdueTimerHeldByADeadNodeIsListedAndReArmed() async throws {
        try await AdminHarness.run { h in
            let id = try #require(try await IncidentListTests.open(h, "RAID degraded", severity: "critical", key: "raid")["id"] as? String)
            #expect(try await stuck(h).isEmpty, "a healthy incident is not stuck")
            // A node claimed the timer, then died: its lease runs an hour; the timer is five minutes overdue.
            _ = try await SQL.strings(h.url, """
                UPDATE incident_timers SET due_at = now() - interval '5 minutes', claimed_by = 'node-dead', claimed_until = now() + interval '1 hour'
                WHERE incident_id = '\(id)'
                """)
            let listed = try await stuck(h)
            #expect(listed.count == 1)
            #expect(listed.first?["reason"] as? String == "timer_overdue" && listed.first?["incident_id"] as? String == id)
            #expect((listed.first?["detail"] as? String ?? "").contains("layer_timeout") && (listed.first?["detail"] as? String ?? "").contains("node-dead"))
            #expect((listed.first?["age_seconds"] as? Int ?? 0) >= 299)

            let rearmed = try await ops(h, "POST", "/api/ops/incidents/\(id)/rearm")
            #expect(rearmed.status == 200 && rearmed.object["rearmed"] as? Int == 1, "\(rearmed.text)")
            #expect((rearmed.object["incident"] as? [String: Any])?["id"] as? String == id)
            #expect(try await stuck(h).isEmpty, "back to the snapshot's due time, lease dropped")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incident_timers WHERE incident_id = '\(id)' AND claimed_by IS NULL AND due_at > now()") == ["1"])
            let journal = try await SQL.strings(h.url, "SELECT actor FROM incident_journal WHERE incident_id = '\(id)' AND kind = 'timers.rearmed'")
            #expect(journal == ["ops"])
            #expect(try await ops(h, "POST", "/api/ops/incidents/\(UUID())/rearm").status == 404)
            #expect(try await h.as("member", "GET", "/api/ops/workflows").status == 403, "members do not see ops")
            #expect(try await h.as("owner", "GET", "/api/ops/workflows").status == 200)
        }
    }

    @Test func aTimerThatKeepsFailingListsAsCommandsFailingUntilItWorksAgain() async throws {
        try await AdminHarness.run { h in
            let id = try #require(try await IncidentListTests.open(h, "UPS on battery", severity: "critical", key: "ups")["id"] as? String)
            // The database refuses every change to this incident (a stand-in for a disk, a bad row, a bug).
            _ = try await SQL.strings(h.url, """
                CREATE FUNCTION refuse_ups() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$
                """)
            _ = try await SQL.strings(h.url, """
                CREATE TRIGGER refuse_ups BEFORE UPDATE ON incidents FOR EACH ROW
                WHEN (OLD.id = '\(id)' AND NEW.version IS DISTINCT FROM OLD.version) EXECUTE FUNCTION refuse_ups()
                """)
            // Layer 1's delay is over (in the snapshot, the truth, and in the timer row).
            _ = try await SQL.strings(h.url, """
                UPDATE incidents SET snapshot = jsonb_set(snapshot, '{timers,layer_timeout,dueAt,microseconds}', to_jsonb((extract(epoch FROM now()) * 1000000)::bigint))
                WHERE id = '\(id)'
                """)
            _ = try await SQL.strings(h.url, "UPDATE incident_timers SET due_at = now() WHERE incident_id = '\(id)'")
            _ = try await SQL.strings(h.url, "SELECT pg_notify('oncall_timers', '')")
            let failing = try await waitForStuck(h, "the failing timer") { $0.contains { $0["reason"] as? String == "commands_failing" } }
            let item = try #require(failing.first { $0["reason"] as? String == "commands_failing" })
            #expect((item["detail"] as? String ?? "").contains("timer:layer_timeout") && (item["detail"] as? String ?? "").contains("refused for the test"))

            _ = try await SQL.strings(h.url, "DROP TRIGGER refuse_ups ON incidents")
            // The failed firing's lease would hold the timer for 30 s: re-arming drops it, and the timer fires now.
            #expect(try await ops(h, "POST", "/api/ops/incidents/\(id)/rearm").status == 200)
            _ = try await waitForStuck(h, "the repaired incident") { $0.isEmpty }
            let layer = try await h.as("member", "GET", "/api/incidents/\(id)").object["layer"] as? Int
            #expect(layer == 2, "the timer fired once it could")
        }
    }

    @Test func exhaustedEscalationsAndDeadDeliveriesAreListed() async throws {
        try await AdminHarness.run { h in
            let first = try #require(try await IncidentListTests.open(h, "Nobody answers", severity: "critical", key: "a")["id"] as? String)
            let second = try #require(try await IncidentListTests.open(h, "PSA refuses", severity: "critical", key: "b")["id"] as? String)
            _ = try await SQL.strings(h.url, "UPDATE incidents SET snapshot = jsonb_set(snapshot, '{exhausted}', 'true') WHERE id = '\(first)'")
            _ = try await SQL.strings(h.url, """
                INSERT INTO outbox (tenant_id, incident_id, sequence, position, channel, kind, payload, idempotency_key, status, attempts, next_attempt_at, last_error, created_at)
                VALUES ('acme-msp', '\(second)', 9, 1, 'psa', 'psa.create_ticket', '{}', 'ops-test-dead', 'dead', 12, now(), 'HTTP 400', now() - interval '1 minute')
                """)
            let listed = try await stuck(h)
            #expect(Set(listed.compactMap { $0["reason"] as? String }) == ["escalation_exhausted", "delivery_dead"])
            let dead = try #require(listed.first { $0["reason"] as? String == "delivery_dead" })
            #expect(dead["incident_id"] as? String == second && (dead["detail"] as? String ?? "").contains("HTTP 400"))
            #expect(try await ops(h, "GET", "/api/ops/workflows?limit=0").status == 400)
            let other = try await h.request("GET", "/api/ops/workflows", token: AdminHarness.opsKey, headers: [("X-Tenant-Id", "other-msp")])
            #expect(other.status == 200 && (other.object["stuck"] as? [Any])?.isEmpty == true, "another tenant's list is its own")
        }
    }

    @Test func forceRunsTheTransitionAndRecordsWhoAndWhy() async throws {
        try await AdminHarness.run { h in
            let id = try #require(try await IncidentListTests.open(h, "Ghost alert", severity: "high", key: "ghost")["id"] as? String)
            #expect(try await ops(h, "POST", "/api/ops/incidents/\(id)/force", json: #"{"state":"resolved"}"#).status == 422, "a reason is required")
            let unknown = try await ops(h, "POST", "/api/ops/incidents/\(id)/force", json: #"{"state":"limbo","reason":"x"}"#)
            #expect(unknown.status == 422 && unknown.text.contains("acknowledged"), "\(unknown.text)")
            let forced = try await ops(h, "POST", "/api/ops/incidents/\(id)/force", json: #"{"state":"resolved","reason":"monitoring sent a ghost"}"#)
            #expect(forced.status == 200 && forced.object["state"] as? String == "resolved" && forced.object["open"] as? Bool == false, "\(forced.text)")
            let timeline = try await h.as("member", "GET", "/api/incidents/\(id)").object["timeline"] as? [[String: Any]] ?? []
            let entry = try #require(timeline.first { $0["kind"] as? String == "state.forced" })
            #expect(entry["actor"] as? String == "ops")
            #expect((entry["detail"] as? [String: String]) == ["from": "escalating", "to": "resolved", "reason": "monitoring sent a ghost"])
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incident_timers WHERE incident_id = '\(id)'") == ["0"])
            let again = try await ops(h, "POST", "/api/ops/incidents/\(id)/force", json: #"{"state":"escalating","reason":"reopen"}"#)
            #expect(again.status == 409 && again.text.contains("resolved"))
            #expect(try await h.as("member", "POST", "/api/ops/incidents/\(id)/force", json: #"{"state":"resolved","reason":"x"}"#).status == 403)
        }
    }

    @Test func integrationsSayWhatIsConfiguredAndWhatFailedLast() async throws {
        try await AdminHarness.run { h in
            let wrongKey = try await h.request("POST", "/api/internal/defend/escalations", token: nil, json: "{}", headers: [("X-Service-Key", "not-the-key")])
            #expect(wrongKey.status == 401)
            let deadline = ContinuousClock.now + .seconds(20)
            var defend: [String: Any] = [:]
            var names: [String] = []
            while ContinuousClock.now < deadline {
                let response = try await ops(h, "GET", "/api/ops/integrations")
                #expect(response.status == 200)
                let items = response.object["integrations"] as? [[String: Any]] ?? []
                names = items.compactMap { $0["name"] as? String }
                defend = items.first { $0["name"] as? String == "defend" } ?? [:]
                if defend["last_error"] is String { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(names == ["defend", "rmm", "security", "backups", "hub_events", "psa", "hub_sso", "hub_billing", "sms", "email"])
            #expect((defend["last_error"] as? String ?? "").contains("X-Service-Key"), "\(defend)")
            #expect(defend["last_error_at"] is String && defend["last_success_at"] is NSNull)
            #expect(defend["configured"] as? Bool == false && (defend["impact"] as? String ?? "").contains("401"), "not configured here: says what breaks")
        }
    }

    @Test func metricsCountWhatHappenedAndReadDepthsFromTheDatabase() async throws {
        try await AdminHarness.run { h in
            let id = try #require(try await IncidentListTests.open(h, "Switch down", severity: "critical", key: "sw")["id"] as? String)
            #expect(try await h.as("member", "POST", "/api/incidents/\(id)/acknowledge").status == 200)
            let integration = try await h.as("owner", "POST", "/api/integrations", json: #"{"id":"probe","type":"generic","service":"backups"}"#)
            let key = try #require(integration.object["key"] as? String)
            let hook = String(try #require(integration.object["webhook_url"] as? String).dropFirst("https://oncall.test".count))
            let accepted = try await h.request("POST", hook, token: nil, json: #"{"title":"Disk full","severity":"low"}"#, headers: [("X-Integration-Key", key)])
            #expect(accepted.status == 202)
            #expect(try await h.request("POST", hook, token: nil, json: "{}", headers: [("X-Integration-Key", "wrong")]).status == 401)

            #expect(try await h.request("GET", "/metrics", token: nil).status == 401, "the operator key is configured: metrics need it")
            let metrics = try await h.request("GET", "/metrics", token: AdminHarness.opsKey)
            #expect(metrics.status == 200 && metrics.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let lines = Set(metrics.text.split(separator: "\n").map(String.init))
            for expected in [
                #"oncall_incident_transitions_total{from="none",to="triggered"} 2"#,
                #"oncall_incident_transitions_total{from="triggered",to="escalating"} 1"#,
                #"oncall_incident_transitions_total{from="escalating",to="acknowledged"} 1"#,
                #"oncall_webhook_requests_total{source="generic",status="202"} 1"#,
                #"oncall_webhook_requests_total{source="unknown",status="401"} 1"#,
                #"oncall_incidents_open{state="acknowledged"} 1"#,
                #"oncall_incidents_open{state="triggered"} 1"#,
                #"oncall_timers{status="overdue"} 0"#,
            ] {
                #expect(lines.contains(expected), "missing \(expected) in:\n\(metrics.text)")
            }
            #expect(metrics.text.contains("# TYPE oncall_timer_lateness_seconds histogram"))
            #expect(metrics.text.contains("# TYPE oncall_outbox_depth gauge"))
        }
    }
}
