import Foundation
import OnCallCore
import OnCallStore
import OnCallTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The whole side of an incident that leaves On-Call, through the real server and the fake peers: the layer
/// paged on every channel, the one-click link, one PSA ticket with the notes in order and the resolution,
/// and the lifecycle events on the bus.
@Suite("Side effects end to end")
struct SideEffectsProofTests {
    @Test func triggerPageEveryChannelAcknowledgeByLinkTicketNotesResolve() async throws {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        let psa = try await FakePSA()
        let sms = try await FakeSMS()
        let smtp = try await FakeSMTP()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice")]
        seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])]
        try await seed.write(to: url)
        _ = try await SQL.strings(url, """
            INSERT INTO contact_methods (tenant_id, id, technician_id, type, address) VALUES
              ('acme', 'alice-slack', 'alice', 'slack', '\(receiver.url("/slack/alice"))'),
              ('acme', 'alice-teams', 'alice', 'teams', '\(receiver.url("/teams/alice"))'),
              ('acme', 'alice-sms', 'alice', 'sms', '+15555550100'),
              ('acme', 'alice-mail', 'alice', 'email', 'alice@msp.example')
            RETURNING id
            """)
        var environment = CrashTests.environment(url, receiver: receiver, psa: psa)
        environment["SMS_API_URL"] = sms.url
        environment["SMS_ACCOUNT_SID"] = sms.accountSID
        environment["SMS_AUTH_TOKEN"] = sms.authToken
        environment["SMS_FROM"] = "+15555550199"
        environment["SMTP_URL"] = "smtp://\(smtp.username):\(smtp.password)@127.0.0.1:\(smtp.port)"
        environment["SMTP_FROM"] = "On-Call <oncall@msp.example>"
        environment["BUS_CONNECTION_STRING"] = url.connectionString
        let server = try ServerProcess(["serve"], environment: environment)
        defer { server.terminate() }
        let port = try await server.listeningPort()

        let incident = try await CrashTests.open(port)
        let webhookPage = try await receiver.waitFor(1, path: "/pages/alice")[0]
        try await receiver.waitFor(1, path: "/slack/alice")
        try await receiver.waitFor(1, path: "/teams/alice")
        try await sms.server.waitFor(1)
        for _ in 0..<200 where smtp.mails.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(smtp.mails.first?.header("Subject")?.contains("RAID degraded on nas-02") == true)
        #expect(webhookPage.header("X-OnCall-Signature")?.hasPrefix("t=") == true)
        #expect(sms.messages.first?.body.contains("RAID degraded on nas-02") == true)

        // The technician taps the link in the page.
        let link = try #require(webhookPage.json()?["acknowledge_url"] as? String)
        let followed = try await TestHTTP.http1(port: port, "POST", String(link.dropFirst("http://oncall.test".count)), headers: [("Accept", "application/json")])
        #expect(followed.status == 200)
        #expect((try followed.json()["incident"] as? [String: Any])?["acknowledged_by"] as? String == "technician:alice")

        #expect(try await CrashTests.api(port, "POST", "/api/incidents/\(incident)/notes", body: #"{"text":"Replacing disk 3"}"#, technician: "alice").status == 200)
        #expect(try await CrashTests.api(port, "POST", "/api/incidents/\(incident)/notes", body: #"{"text":"Rebuild started"}"#, technician: "alice").status == 200)
        #expect(try await CrashTests.api(port, "POST", "/api/incidents/\(incident)/resolve", technician: "alice").status == 200)

        try await SQL.waitUntil(url, "SELECT count(*)::int FROM outbox WHERE incident_id = '\(incident)'", equals: 0, timeout: .seconds(30))
        #expect(psa.tickets.count == 1)
        #expect(psa.tickets.first?.notes == ["Replacing disk 3", "Rebuild started"])
        #expect(psa.tickets.first?.status == "resolved")
        let shown = try await CrashTests.api(port, "GET", "/api/incidents/\(incident)")
        #expect(try shown.json()["psa_ticket_id"] as? String == psa.tickets.first?.id)

        let events = try await SQL.strings(url, "SELECT type || ' ' || id FROM bus_messages WHERE subject = '\(incident)' ORDER BY xid, seq")
        #expect(events.map { String($0.split(separator: " ")[0]) } == [
            "created", "acknowledged", "note_added", "note_added", "resolved",
        ].map { "com.theonestack.oncall.incident." + $0 })
        #expect(Set(events.map { $0.split(separator: " ")[1] }).count == events.count, "unique ids")
        #expect(receiver.received(path: "/pages/alice").count == 1 && sms.messages.count == 1 && smtp.mails.count == 1, "each channel paged once")

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        await psa.close()
        await sms.close()
        await smtp.close()
    }
}
