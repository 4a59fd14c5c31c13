import Foundation
import OnCallTesting
import Testing

/// `oncall ops` against a real `oncall serve`: finds what is stuck, repairs it, shows the incident, forces it.
@Suite("oncall ops")
struct OpsCommandTests {
    /// Runs `oncall ops ARGS` for tenant acme against the server on `port`; returns its exit code and output.
    static func ops(_ port: Int, _ arguments: [String]) async throws -> (code: Int32, text: String) {
        let process = try ServerProcess(["ops"] + arguments + ["--url", "http://127.0.0.1:\(port)", "--tenant", "acme"], environment: ["OPS_API_KEY": CrashTests.opsKey])
        defer { process.terminate() }
        let code = try await process.waitForExit()
        return (code, process.text)
    }

    @Test func findsAStuckTimerRepairsItAndForcesTheIncident() async throws {
        let (url, receiver, psa) = try await CrashTests.aliceAndAPSA()
        let server = try ServerProcess(["serve"], environment: CrashTests.environment(url, receiver: receiver, psa: psa))
        let port = try await server.listeningPort()
        defer { server.terminate() }
        let incident = try await CrashTests.open(port)

        let healthy = try await Self.ops(port, ["stuck"])
        #expect(healthy.code == 0 && healthy.text.contains("nothing stuck"), "\(healthy.text)")
        // A node took the layer timer and died holding an hour's lease; the timer is ten minutes late.
        _ = try await SQL.strings(url, """
            UPDATE incident_timers SET due_at = now() - interval '10 minutes', claimed_by = 'node-gone', claimed_until = now() + interval '1 hour'
            WHERE incident_id = '\(incident)'
            """)
        let stuck = try await Self.ops(port, ["stuck"])
        #expect(stuck.code == 3, "exit 3 when something is stuck: \(stuck.text)")
        #expect(stuck.text.contains("REASON") && stuck.text.contains("timer_overdue") && stuck.text.contains("#1") && stuck.text.contains("10m"), "\(stuck.text)")
        let json = try await Self.ops(port, ["stuck", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any]
        #expect((parsed?["stuck"] as? [[String: Any]])?.first?["incident_id"] as? String == incident, "\(json.text)")

        let rearmed = try await Self.ops(port, ["rearm", "#1"])
        #expect(rearmed.code == 0 && rearmed.text.contains("re-armed 1 timer(s)"), "\(rearmed.text)")
        #expect(try await Self.ops(port, ["stuck"]).code == 0)

        let shown = try await Self.ops(port, ["incident", "1"])
        #expect(shown.text.contains("#1 RAID degraded on nas-02") && shown.text.contains("timers.rearmed") && shown.text.contains("ops"), "\(shown.text)")

        let forced = try await Self.ops(port, ["force", incident, "resolved", "--reason", "duplicate of a ticket"])
        #expect(forced.code == 0 && forced.text.contains("#1 is now resolved"), "\(forced.text)")
        let refused = try await Self.ops(port, ["force", "1", "escalating", "--reason", "reopen"])
        #expect(refused.code != 0 && refused.text.contains("409"), "\(refused.text)")

        #expect(try await Self.ops(port, ["outbox", "--status", "dead"]).text.contains("outbox empty"))
        #expect(try await Self.ops(port, ["retry"]).code == 64, "one of an id, --kind, --all")
        let integrations = try await Self.ops(port, ["integrations"])
        #expect(integrations.code == 0 && integrations.text.contains("psa") && integrations.text.contains("yes"), "\(integrations.text)")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        await psa.close()
    }
}
