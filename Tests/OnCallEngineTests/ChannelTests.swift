import Foundation
import OnCallCore
import OnCallEngine
import OnCallIntegrations
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

    /// SMS through a Twilio-compatible API: the number, the sender, a short text with the link; a 500 is retried.
    @Test func smsGetsAShortTextWithTheLink() async throws {
        let sms = try await FakeSMS()
        sms.server.queue([.init(status: 500)])
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        _ = try await SQL.strings(h.url, """
            INSERT INTO contact_methods (tenant_id, id, technician_id, type, address) VALUES ('acme', 'alice-sms', 'alice', 'sms', '+15555550100')
            RETURNING id
            """)
        let gateway = OnCallConfiguration.SMSGateway(url: sms.url, accountSID: sms.accountSID, authToken: Secret(sms.authToken), from: "+15555550199")
        try await h.run(deliverers: ["page.sms": SMSPageDeliverer(gateway: gateway)]) { engines in
            let title = "Backup job nightly-sql02 failed: " + String(repeating: "disk quota exceeded on the target volume ", count: 10)
            let incident = try await engines[0].trigger(.init(tenantID: "acme", serviceID: "endpoints", title: title, severity: .high)).record
            try await sms.server.waitFor(2, timeout: .seconds(20))
            let message = try #require(sms.messages.first)
            #expect(sms.messages.count == 1, "the refused attempt left no message")
            #expect(message.to == "+15555550100" && message.from == "+15555550199")
            #expect(message.body.count <= SMSPageDeliverer.maximumLength)
            #expect(message.body.hasPrefix("[HIGH] #\(incident.number) Backup job nightly-sql02 failed"))
            #expect(message.body.contains("… (acme) Ack: http://oncall.test/ack/v1."), "the title is shortened, never the link: \(message.body)")
        }
        await sms.close()
    }

    /// An alert storm: the first page goes at once; the ones that come within the window wait (without using an
    /// attempt) and go as one text when it ends. The window's end is brought forward in the database rather than
    /// waited for, so the test does not depend on how fast the machine is.
    @Test func aStormSendsOneSMSPerWindowWithTheRestBundled() async throws {
        let sms = try await FakeSMS()
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        _ = try await SQL.strings(h.url, """
            INSERT INTO contact_methods (tenant_id, id, technician_id, type, address) VALUES ('acme', 'alice-sms', 'alice', 'sms', '+15555550100')
            RETURNING id
            """)
        let gateway = OnCallConfiguration.SMSGateway(url: sms.url, accountSID: sms.accountSID, authToken: Secret(sms.authToken), from: "+15555550199")
        try await h.run(deliverers: ["page.sms": SMSPageDeliverer(gateway: gateway)], adjust: { $0.pageThrottle = ["page.sms": .seconds(60)] }) { engines in
            func trigger(_ index: Int) async throws -> IncidentRecord {
                try await engines[0].trigger(.init(
                    tenantID: "acme", serviceID: "endpoints", title: "Host srv-0\(index) down", severity: index == 3 ? .critical : .high, dedupKey: "host-\(index)"
                )).record
            }
            var incidents = [try await trigger(0)]
            try await sms.server.waitFor(1, timeout: .seconds(20))
            for index in 1..<5 { incidents.append(try await trigger(index)) }
            // All four wait for the window, none used an attempt, nothing more was sent.
            try await SQL.waitUntil(h.url, """
                SELECT count(*) FROM outbox WHERE channel = 'page:alice-sms' AND attempts = 0 AND next_attempt_at > now() + interval '30 seconds'
                """, equals: 4, timeout: .seconds(20))
            #expect(sms.messages.count == 1)
            // The minute is over.
            _ = try await SQL.strings(h.url, """
                WITH t AS (UPDATE page_throttle SET last_sent_at = now() - interval '61 seconds' RETURNING 1)
                UPDATE outbox SET next_attempt_at = now() WHERE channel = 'page:alice-sms' RETURNING id::text
                """)
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE channel = 'page:alice-sms'", equals: 0, timeout: .seconds(20))
            let texts = sms.messages.map(\.body)
            #expect(texts.count == 2, "one at once, one bundle: \(texts)")
            let bundle = texts.last ?? ""
            #expect(bundle.hasPrefix("4 incidents (acme): [CRITICAL] #\(incidents[3].number) Host srv-03 down;"), "\(bundle)")
            #expect(bundle.contains("Ack #\(incidents[3].number): http://oncall.test/ack/v1.") && bundle.count <= SMSPageDeliverer.maximumLength)
            let delivered = try await SQL.strings(h.url, """
                SELECT count(*)::text FROM incident_journal WHERE kind = 'page.delivered' AND detail->>'channel' = 'page:alice-sms'
                """)
            #expect(delivered == ["5"], "every incident's timeline says its page went")
        }
        await sms.close()
    }

    /// Email over SMTP: refused once (try later), then sent; a burst within the window goes as one mail listing them.
    @Test func emailIsSentOverSMTPAndABurstIsBundled() async throws {
        let smtp = try await FakeSMTP()
        smtp.refuse(code: 421)
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        _ = try await SQL.strings(h.url, """
            INSERT INTO contact_methods (tenant_id, id, technician_id, type, address) VALUES ('acme', 'alice-mail', 'alice', 'email', 'alice@msp.example')
            RETURNING id
            """)
        let client = SMTPClient(server: .init(host: "127.0.0.1", port: smtp.port, implicitTLS: false, username: smtp.username, password: smtp.password))
        try await h.run(deliverers: ["page.email": EmailPageDeliverer(client: client, from: "On-Call <oncall@msp.example>")],
                        adjust: { $0.pageThrottle = ["page.email": .seconds(60)] }) { engines in
            func trigger(_ index: Int) async throws -> IncidentRecord {
                try await engines[0].trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "Backup \(index) failed", severity: .high, dedupKey: "backup-\(index)")).record
            }
            // The first page: refused once (421), retried, delivered.
            var incidents = [try await trigger(0)]
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE channel = 'page:alice-mail'", equals: 0, timeout: .seconds(20))
            #expect(smtp.mails.count == 1)
            // Two more within the window: they wait, then go together when it ends (brought forward in the database).
            incidents += [try await trigger(1), try await trigger(2)]
            try await SQL.waitUntil(h.url, """
                SELECT count(*) FROM outbox WHERE channel = 'page:alice-mail' AND next_attempt_at > now() + interval '30 seconds'
                """, equals: 2, timeout: .seconds(20))
            #expect(smtp.mails.count == 1)
            _ = try await SQL.strings(h.url, """
                WITH t AS (UPDATE page_throttle SET last_sent_at = now() - interval '61 seconds' RETURNING 1)
                UPDATE outbox SET next_attempt_at = now() WHERE channel = 'page:alice-mail' RETURNING id::text
                """)
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE channel = 'page:alice-mail'", equals: 0, timeout: .seconds(20))
            let mails = smtp.mails
            #expect(mails.count == 2, "\(mails.map { $0.header("Subject") ?? "" })")
            #expect(mails.first?.header("Subject") == "[HIGH] #\(incidents[0].number) Backup 0 failed")
            #expect(mails.first?.text.contains("Acknowledge: http://oncall.test/ack/v1.") == true)
            #expect(mails.last?.header("Subject") == "2 incidents for you (acme)")
            #expect(mails.last.map { $0.text.contains("Backup 1 failed") && $0.text.contains("Backup 2 failed") } == true)
            #expect(mails.allSatisfy { $0.to == ["alice@msp.example"] && $0.from == "oncall@msp.example" })
        }
        await smtp.close()
    }
}
