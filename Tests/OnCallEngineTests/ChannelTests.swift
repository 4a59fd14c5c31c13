import Foundation
import OnCallCore
import OnCallEngine
import OnCallStore
import OnCallTesting
import Testing

/// Pages on the chat channels, against a recording server standing in for Slack's and Teams' incoming webhooks.
@Suite("Paging channels")
struct ChannelTests {
    @Test func slackAndTeamsGetTheIncidentAndAnAcknowledgeButton() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        // Slack's own server, rate limiting at first: its Retry-After is honoured (the retry waits at least 1 s).
        let slackServer = try await RecordingHTTPServer()
        slackServer.queue([.init(status: 429, headers: [("Retry-After", "1")], body: "rate_limited")])
        _ = try await SQL.strings(h.url, """
            INSERT INTO contact_methods (tenant_id, id, technician_id, type, address) VALUES
              ('acme', 'alice-slack', 'alice', 'slack', '\(slackServer.url("/slack/alice"))'),
              ('acme', 'alice-teams', 'alice', 'teams', '\(h.receiver.url("/teams/alice"))')
            RETURNING id
            """)
        try await h.run { engines in
            let incident = try await engines[0].trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "Disk <C:> full & rising", severity: .critical)).record
            let slack = try await slackServer.waitFor(2, path: "/slack/alice", timeout: .seconds(20))
            let teams = try await h.receiver.waitFor(1, path: "/teams/alice")
            #expect(slack[1].at.timeIntervalSince(slack[0].at) >= 0.9, "waited for Retry-After")
            #expect(slack[0].header("Idempotency-Key") == slack[1].header("Idempotency-Key"))

            let message = try #require(slack.last?.json())
            #expect(message["text"] as? String == "[CRITICAL] #\(incident.number) Disk <C:> full & rising")
            let blocks = message["blocks"] as? [[String: Any]] ?? []
            let section = (blocks.first?["text"] as? [String: Any])?["text"] as? String
            #expect(section?.contains("Disk &lt;C:&gt; full &amp; rising") == true, "mrkdwn escaped: \(section ?? "")")
            let buttons = blocks.last?["elements"] as? [[String: Any]] ?? []
            #expect((buttons.first?["url"] as? String)?.hasPrefix("http://oncall.test/ack/v1.") == true)

            let card = try #require(((teams[0].json()?["attachments"] as? [[String: Any]])?.first?["content"]) as? [String: Any])
            #expect(card["type"] as? String == "AdaptiveCard")
            let actions = card["actions"] as? [[String: Any]] ?? []
            #expect(actions.first?["title"] as? String == "Acknowledge" && (actions.first?["url"] as? String)?.contains("/ack/v1.") == true)
            #expect(((card["body"] as? [[String: Any]])?.first?["text"] as? String)?.hasPrefix("[CRITICAL]") == true)
        }
        await slackServer.close()
    }
}
