import Foundation
import Testing
import OnCallCore
import OnCallStore
import OnCallTesting

#if canImport(Glibc)
import Glibc
#endif

/// Real `oncall serve` processes on one database, killed with SIGKILL at the worst moments.
@Suite("Crashes and two nodes")
struct CrashTests {
    static let opsKey = "ops-test-key"

    static func environment(_ url: DatabaseURL, receiver: RecordingHTTPServer, node: String) -> [String: String] {
        [
            "DATABASE_URL": url.connectionString, "OPS_API_KEY": opsKey, "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "0",
            "ONCALL_WORKFLOWS_DIR": PackagePaths.root + "/workflows", "ONCALL_CLAIM_LEASE": "2s", "ONCALL_NODE_NAME": node,
            "ONCALL_PUBLIC_URL": "http://oncall.test",
        ]
    }

    /// A database where alice (a webhook page to `receiver`) is layer 1 of a 10-minute policy, and a fake PSA.
    static func aliceAndAPSA() async throws -> (DatabaseURL, RecordingHTTPServer, FakePSA) {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice")]
        seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])]
        try await seed.write(to: url)
        return (url, receiver, try await FakePSA())
    }

    /// ``environment(_:receiver:node:)`` with the PSA variables pointing at `psa`.
    static func environment(_ url: DatabaseURL, receiver: RecordingHTTPServer, psa: FakePSA, node: String = "a") -> [String: String] {
        var environment = environment(url, receiver: receiver, node: node)
        environment["PSA_API_URL"] = psa.url
        environment["PSA_SERVICE_KEY"] = psa.serviceKey
        return environment
    }

    static func start(_ url: DatabaseURL, _ receiver: RecordingHTTPServer, node: String = "a") async throws -> (ServerProcess, Int) {
        let server = try ServerProcess(["serve"], environment: environment(url, receiver: receiver, node: node))
        return (server, try await server.listeningPort())
    }

    static func api(_ port: Int, _ method: String, _ path: String, body: String? = nil, technician: String? = nil) async throws -> TestResponse {
        var headers = [("Authorization", "Bearer \(opsKey)"), ("X-Tenant-Id", "acme"), ("Content-Type", "application/json")]
        if let technician { headers.append(("X-Technician-Id", technician)) }
        return try await TestHTTP.http1(port: port, method, path, headers: headers, body: body.map { Array($0.utf8) })
    }

    static func open(_ port: Int) async throws -> String {
        let response = try await api(port, "POST", "/api/incidents", body: #"{"service":"endpoints","title":"RAID degraded on nas-02","severity":"critical"}"#)
        #expect(response.status == 201, "\(response.text)")
        return try #require((try response.json()["incident"] as? [String: Any])?["id"] as? String)
    }

    static func journal(_ url: DatabaseURL, _ incident: String) async throws -> [String] {
        try await SQL.strings(url, "SELECT kind FROM incident_journal WHERE incident_id = '\(incident)' ORDER BY id")
    }

    @Test func killedDuringALayerDelayThenRestartedPagesTheNextLayerExactlyOnce() async throws {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice"), "bob": receiver.url("/pages/bob")]
        seed.layers = [.init(delaySeconds: 3, technicians: ["alice"]), .init(delaySeconds: 600, technicians: ["bob"])]
        try await seed.write(to: url)

        let (first, port) = try await Self.start(url, receiver)
        defer { first.terminate() }
        let incident = try await Self.open(port)
        try await receiver.waitFor(1, path: "/pages/alice")
        // Wait until the page is recorded as delivered, so only the timer is in flight when the node dies.
        try await SQL.waitUntil(url, "SELECT count(*)::int FROM incident_journal WHERE incident_id = '\(incident)' AND kind = 'page.delivered'", equals: 1)
        first.signal(SIGKILL)
        try await first.waitForExit()

        let (second, _) = try await Self.start(url, receiver, node: "b")
        defer { second.terminate() }
        try await receiver.waitFor(1, path: "/pages/bob", timeout: .seconds(20))
        try await Task.sleep(for: .seconds(2))
        #expect(receiver.received(path: "/pages/bob").count == 1, "the next layer is paged exactly once")
        #expect(receiver.received(path: "/pages/alice").count == 1, "nothing delivered before the crash is sent again")
        #expect(try await Self.journal(url, incident).filter { $0 == "timer.fired" }.count == 1)
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    @Test func killedAfterThePeerAcceptedButBeforeMarkingResendsWithTheSameKey() async throws {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice"), "bob": receiver.url("/pages/bob")]
        seed.layers = [.init(delaySeconds: 600, technicians: ["alice"]), .init(delaySeconds: 600, technicians: ["bob"])]
        try await seed.write(to: url)
        // The receiver records the page at once but answers only after 30 s: the node dies in between.
        receiver.queue([.init(status: 200, delay: .seconds(30))])

        let (first, port) = try await Self.start(url, receiver)
        defer { first.terminate() }
        let incident = try await Self.open(port)
        let accepted = try await receiver.waitFor(1, path: "/pages/alice")[0]
        first.signal(SIGKILL)
        try await first.waitForExit()

        let (second, _) = try await Self.start(url, receiver, node: "b")
        defer { second.terminate() }
        let pages = try await receiver.waitFor(2, path: "/pages/alice", timeout: .seconds(20))
        #expect(pages[1].header("Idempotency-Key") == accepted.header("Idempotency-Key"))
        try await SQL.waitUntil(url, "SELECT count(*)::int FROM outbox WHERE incident_id = '\(incident)'", equals: 0)
        try await Task.sleep(for: .seconds(1))
        #expect(receiver.received.count == 2, "only the unmarked page is sent again: \(receiver.received.map(\.path))")
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    /// The PSA makes the ticket, but the node dies before it hears so: after a restart the creation is sent
    /// again with the same Idempotency-Key, the PSA answers with the ticket it made, and there is one ticket.
    @Test func killedAfterThePSAMadeTheTicketLeavesOneTicket() async throws {
        let (url, receiver, psa) = try await Self.aliceAndAPSA()
        psa.answerSlowly(.seconds(30))
        var environment = Self.environment(url, receiver: receiver, psa: psa)

        let first = try ServerProcess(["serve"], environment: environment)
        defer { first.terminate() }
        let port = try await first.listeningPort()
        let incident = try await Self.open(port)
        #expect(try await Self.api(port, "POST", "/api/incidents/\(incident)/acknowledge", technician: "alice").status == 200)
        let accepted = try await psa.server.waitFor(1, path: "/tickets")[0]
        #expect(psa.tickets.count == 1)
        first.signal(SIGKILL)
        try await first.waitForExit()

        environment["ONCALL_NODE_NAME"] = "b"
        let second = try ServerProcess(["serve"], environment: environment)
        defer { second.terminate() }
        let secondPort = try await second.listeningPort()
        try await SQL.waitUntil(url, "SELECT count(*)::int FROM incidents WHERE id = '\(incident)' AND psa_ticket_id = 'T-1001'", equals: 1, timeout: .seconds(30))
        let calls = psa.server.received(path: "/tickets")
        #expect(calls.count == 2 && calls[1].header("Idempotency-Key") == accepted.header("Idempotency-Key"))
        #expect(psa.tickets.count == 1, "one ticket: \(psa.tickets)")
        let shown = try await Self.api(secondPort, "GET", "/api/incidents/\(incident)")
        #expect(try shown.json()["psa_ticket_id"] as? String == "T-1001")
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await psa.close()
    }

    /// A page's one-click link acknowledges as its technician, once, on any node; altered links do nothing.
    @Test func aPagesAcknowledgeLinkWorksOnceOnAnyNode() async throws {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice")]
        seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])]
        try await seed.write(to: url)
        let (a, portA) = try await Self.start(url, receiver, node: "a")
        let (b, portB) = try await Self.start(url, receiver, node: "b")
        defer { a.terminate(); b.terminate() }
        let incident = try await Self.open(portA)
        let page = try #require(try await receiver.waitFor(1, path: "/pages/alice")[0].json())
        let link = try #require(page["acknowledge_url"] as? String)
        #expect(link.hasPrefix("http://oncall.test/ack/v1."))
        let path = String(link.dropFirst("http://oncall.test".count))

        // Node b, which did not make the link: GET shows the incident and posts itself; nothing changes yet.
        let shown = try await TestHTTP.http1(port: portB, "GET", path)
        #expect(shown.status == 200 && shown.text.contains("RAID degraded on nas-02") && shown.text.contains("method=\"post\""))
        #expect(try await Self.api(portA, "GET", "/api/incidents/\(incident)").json()["state"] as? String == "escalating")

        let followed = try await TestHTTP.http1(port: portB, "POST", path, headers: [("Accept", "application/json")])
        #expect(followed.status == 200)
        let acknowledged = try #require(try followed.json()["incident"] as? [String: Any])
        #expect(acknowledged["state"] as? String == "acknowledged" && acknowledged["acknowledged_by"] as? String == "technician:alice")

        let again = try await TestHTTP.http1(port: portA, "POST", path)
        #expect(again.status == 409 && again.text.contains("already used"))
        var altered = path
        altered.removeLast(2)
        #expect(try await TestHTTP.http1(port: portA, "POST", altered).status == 404)
        #expect(try await Self.journal(url, incident).filter { $0 == "state.changed" }.count == 2, "triggered → escalating → acknowledged")
        a.signal(SIGTERM); b.signal(SIGTERM)
        #expect(try await a.waitForExit() == 0)
        #expect(try await b.waitForExit() == 0)
    }

    /// A PSA that refuses a ticket leaves a dead letter; ops see it and send it again, and the ticket is made.
    @Test func opsSeeADeadLetterAndRetryIt() async throws {
        let (url, receiver, psa) = try await Self.aliceAndAPSA()
        psa.server.queue([.init(status: 400, body: #"{"error":"board full"}"#)])
        let server = try ServerProcess(["serve"], environment: Self.environment(url, receiver: receiver, psa: psa))
        defer { server.terminate() }
        let port = try await server.listeningPort()
        let incident = try await Self.open(port)
        #expect(try await Self.api(port, "POST", "/api/incidents/\(incident)/acknowledge", technician: "alice").status == 200)
        try await SQL.waitUntil(url, "SELECT count(*)::int FROM outbox WHERE status = 'dead'", equals: 1)

        let dead = try await Self.api(port, "GET", "/api/ops/outbox?status=dead")
        let row = try #require((try dead.json()["outbox"] as? [[String: Any]])?.first)
        #expect(row["kind"] as? String == "psa.create_ticket" && row["last_error"] as? String == "HTTP 400")
        let id = try #require(row["id"] as? Int)
        #expect(try await Self.api(port, "POST", "/api/ops/outbox/\(id)/retry").status == 200)
        try await SQL.waitUntil(url, "SELECT count(*)::int FROM incidents WHERE id = '\(incident)' AND psa_ticket_id IS NOT NULL", equals: 1)
        #expect(psa.tickets.count == 1)
        #expect(try await Self.api(port, "POST", "/api/ops/outbox/\(id)/retry").status == 409, "only dead rows are retried")
        #expect(try await Self.api(port, "POST", "/api/ops/outbox/retry?kind=psa.create_ticket").json()["retried"] as? Int == 0)
        #expect(try await Self.journal(url, incident).contains("delivery.retried"))
        #expect(try await Self.api(port, "GET", "/api/ops/outbox?status=stuck").status == 400)
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        await psa.close()
    }

    @Test func twoNodesFireEachTimerOnceAndAgreeOnAConcurrentAcknowledge() async throws {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice"), "bob": receiver.url("/pages/bob"), "erin": receiver.url("/pages/erin")]
        seed.layers = [
            .init(delaySeconds: 1, technicians: ["alice"]), .init(delaySeconds: 1, technicians: ["bob"]), .init(delaySeconds: 600, technicians: ["erin"]),
        ]
        try await seed.write(to: url)
        let (a, portA) = try await Self.start(url, receiver, node: "a")
        let (b, portB) = try await Self.start(url, receiver, node: "b")
        defer { a.terminate(); b.terminate() }

        var incidents: [String] = []
        for index in 0..<6 { incidents.append(try await Self.open(index.isMultiple(of: 2) ? portA : portB)) }
        try await receiver.waitFor(6, path: "/pages/erin", timeout: .seconds(20))
        try await Task.sleep(for: .seconds(1))
        #expect(receiver.received(path: "/pages/alice").count == 6)
        #expect(receiver.received(path: "/pages/bob").count == 6, "each layer timer fired on one node only")
        #expect(receiver.received(path: "/pages/erin").count == 6)

        let target = incidents[0]
        async let fromA = Self.api(portA, "POST", "/api/incidents/\(target)/acknowledge", technician: "alice")
        async let fromB = Self.api(portB, "POST", "/api/incidents/\(target)/acknowledge", technician: "bob")
        let answers = try await [fromA, fromB]
        #expect(answers.map(\.status) == [200, 200])
        let states = try answers.map { try $0.json()["state"] as? String }
        #expect(states == ["acknowledged", "acknowledged"])
        let versions = try answers.map { try $0.json()["version"] as? Int }
        #expect(versions[0] == versions[1], "both callers see the same incident: \(versions)")
        let kinds = try await SQL.strings(url, "SELECT detail->>'to' FROM incident_journal WHERE incident_id = '\(target)' AND kind = 'state.changed'")
        #expect(kinds.filter { $0 == "acknowledged" }.count == 1, "one acknowledgement in the journal: \(kinds)")

        a.signal(SIGTERM); b.signal(SIGTERM)
        #expect(try await a.waitForExit() == 0)
        #expect(try await b.waitForExit() == 0)
    }

    @Test func theIncidentAPIOverHTTP() async throws {
        let url = try await TestDatabase.migrated()
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice")]
        seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])]
        try await seed.write(to: url)
        let (server, port) = try await Self.start(url, receiver)
        defer { server.terminate() }

        let unauthorized = try await TestHTTP.http1(port: port, "POST", "/api/incidents", headers: [("X-Tenant-Id", "acme")], body: Array("{}".utf8))
        #expect(unauthorized.status == 401 && unauthorized.text.contains(#""code":"unauthorized""#))
        let invalid = try await Self.api(port, "POST", "/api/incidents", body: #"{"service":"endpoints"}"#)
        #expect(invalid.status == 422 && invalid.text.contains("title"))
        let malformed = try await Self.api(port, "POST", "/api/incidents", body: #"{"service":"#)
        #expect(malformed.status == 400 && malformed.text.contains(#""code":"bad_request""#), "\(malformed.status) \(malformed.text)")
        let unknown = try await Self.api(port, "POST", "/api/incidents", body: #"{"service":"nope","title":"x"}"#)
        #expect(unknown.status == 422 && unknown.text.contains("service"))

        let id = try await Self.open(port)
        let dedup = try await Self.api(port, "POST", "/api/incidents", body: #"{"service":"endpoints","title":"again","dedup_key":"k1"}"#)
        #expect(dedup.status == 201)
        let again = try await Self.api(port, "POST", "/api/incidents", body: #"{"service":"endpoints","title":"again","dedup_key":"k1"}"#)
        let deduplicated = try again.json()["deduplicated"] as? Bool
        #expect(again.status == 200 && deduplicated == true)

        let note = try await Self.api(port, "POST", "/api/incidents/\(id)/notes", body: #"{"text":"swapping the disk"}"#, technician: "alice")
        #expect(note.status == 200)
        let ack = try await Self.api(port, "POST", "/api/incidents/\(id)/acknowledge", technician: "alice")
        let ackState = try ack.json()["state"] as? String
        #expect(ack.status == 200 && ackState == "acknowledged")
        let ackAgain = try await Self.api(port, "POST", "/api/incidents/\(id)/acknowledge", technician: "alice")
        #expect(ackAgain.status == 200, "repeating an applied action answers 200")
        let resolve = try await Self.api(port, "POST", "/api/incidents/\(id)/resolve", technician: "alice")
        let stillOpen = try resolve.json()["open"] as? Bool
        #expect(resolve.status == 200 && stillOpen == false)
        let refused = try await Self.api(port, "POST", "/api/incidents/\(id)/acknowledge")
        #expect(refused.status == 409 && refused.text.contains("resolved"))

        let shown = try await TestHTTP.h2c(port: port, "GET", "/api/incidents/\(id)", headers: [("authorization", "Bearer \(Self.opsKey)"), ("x-tenant-id", "acme")])
        #expect(shown.status == 200)
        let timeline = try #require(try shown.json()["timeline"] as? [[String: Any]])
        let kinds = timeline.compactMap { $0["kind"] as? String }
        #expect(kinds.contains("note.added") && kinds.contains("state.changed") && kinds.contains("layer.paged"))
        #expect(timeline.contains { ($0["detail"] as? [String: String])?["text"] == "swapping the disk" && $0["actor"] as? String == "technician:alice" })

        let otherTenant = try await TestHTTP.http1(port: port, "GET", "/api/incidents/\(id)", headers: [("Authorization", "Bearer \(Self.opsKey)"), ("X-Tenant-Id", "other")])
        #expect(otherTenant.status == 404, "another tenant's incident does not exist for the caller")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
