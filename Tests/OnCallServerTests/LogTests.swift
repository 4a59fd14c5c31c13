import Foundation
import OnCallTesting
import Testing

/// What `oncall serve` writes to its log: one JSON object per line, the incident and tenant on lines about
/// them, and never a secret it was given.
@Suite("Structured logs")
struct LogTests {
    @Test func everyLineIsJSONWithIdsAndNoSecret() async throws {
        let (url, receiver, psa) = try await CrashTests.aliceAndAPSA()
        psa.server.queue([.init(status: 400, body: #"{"error":"board full"}"#)])
        let secrets = ["jwt-secret-for-the-log-test-0123456789", "defend-key-for-the-log-test", "hub-key-for-the-log-test"]
        var environment = CrashTests.environment(url, receiver: receiver, psa: psa)
        environment["HUB_JWT_SECRET"] = secrets[0]
        environment["DEFEND_SERVICE_KEY"] = secrets[1]
        environment["HUB_API_URL"] = "http://127.0.0.1:9"
        environment["HUB_SERVICE_KEY"] = secrets[2]
        environment["ONCALL_LOG_LEVEL"] = "debug"
        let server = try ServerProcess(["serve"], environment: environment)
        defer { server.terminate() }
        let port = try await server.listeningPort()
        let incident = try await CrashTests.open(port)
        #expect(try await CrashTests.api(port, "POST", "/api/incidents/\(incident)/acknowledge", technician: "alice").status == 200)
        // The PSA refuses the ticket: a dead letter, logged as a warning about this incident.
        _ = try await server.line(containing: "given up")
        // Wrong keys and tokens are refused without being echoed.
        _ = try await TestHTTP.http1(port: port, "POST", "/api/internal/defend/escalations", headers: [("X-Service-Key", secrets[1] + "x")], body: Array("{}".utf8))
        _ = try await TestHTTP.http1(port: port, "GET", "/api/incidents", headers: [("Authorization", "Bearer \(secrets[0])")])
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        await psa.close()

        let logLines = server.text.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(logLines.count > 10)
        for line in logLines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["ts"] is String && object?["level"] is String && object?["msg"] is String, "not a log object: \(line)")
        }
        let givenUp = try #require(logLines.first { $0.contains("given up") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(givenUp.utf8)) as? [String: Any])
        #expect(object["incident_id"] as? String == incident, "\(givenUp)")
        #expect(object["tenant_id"] as? String == "acme" && object["level"] as? String == "warning" && object["kind"] as? String == "psa.create_ticket")
        for secret in secrets + [CrashTests.opsKey, psa.serviceKey] {
            #expect(!server.text.contains(secret), "\(secret) is in the log")
        }
    }
}
