import Foundation
import Testing
import OnCallTesting
import OnCallCore

/// `oncall parse` as a technician runs it: no database, the normalised alerts on stdout.
@Suite("oncall parse")
struct ParseCommandTests {
    static func fixture(_ path: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/webhooks/\(path)").path
    }

    @Test func aPayloadPrintsItsAlertsAsJSON() async throws {
        let run = try ServerProcess(["parse", "--type", "nagios", "--content-type", "application/x-www-form-urlencoded", Self.fixture("nagios/service-recovery.form")])
        defer { run.terminate() }
        #expect(try await run.waitForExit() == 0, "\(run.text)")
        let start = try #require(run.text.firstIndex(of: "["))
        let alerts = try #require(try JSONSerialization.jsonObject(with: Data(run.text[start...].utf8)) as? [[String: Any]])
        #expect(alerts.count == 1)
        #expect(alerts.first?["action"] as? String == "resolve" && alerts.first?["dedup_key"] as? String == "web-01/HTTP")
    }

    @Test func aBrokenPayloadSaysWhereAndExitsOne() async throws {
        let run = try ServerProcess(["parse", "--type", "generic", Self.fixture("generic/malformed.json")])
        defer { run.terminate() }
        #expect(try await run.waitForExit() == 1)
        #expect(run.text.contains("invalid JSON at line"), "\(run.text)")
        let unknown = try ServerProcess(["parse", "--type", "splunk", Self.fixture("generic/full.json")])
        defer { unknown.terminate() }
        #expect(try await unknown.waitForExit() == 2)
        #expect(unknown.text.contains("unknown integration type 'splunk'"))
    }
}

/// `oncall bus publish` against a PostgreSQL bus: once, then recognised as a repeat.
@Suite("oncall bus publish")
struct BusPublishCommandTests {
    @Test func aMessageIsPublishedOnceAndARepeatIsRecognised() async throws {
        let url = try await TestDatabase.fresh()
        let file = ParseCommandTests.fixture("../bus/security-event-detected.json")
        for expected in ["published sec-0c41f7e9-3a2b-4e8d-91f5-6d7a2b8c9e04", "already on the bus: sec-0c41f7e9-3a2b-4e8d-91f5-6d7a2b8c9e04"] {
            let run = try ServerProcess(["bus", "publish", file], environment: ["BUS_CONNECTION_STRING": url.connectionString])
            defer { run.terminate() }
            #expect(try await run.waitForExit() == 0, "\(run.text)")
            #expect(run.text.contains(expected), "\(run.text)")
        }
        #expect(try await SQL.strings(url, "SELECT type FROM bus_messages") == ["com.theonestack.security.event.detected"])
        let noBus = try ServerProcess(["bus", "publish", file])
        defer { noBus.terminate() }
        #expect(try await noBus.waitForExit() == 2 && noBus.text.contains("BUS_CONNECTION_STRING is not set"))
    }
}
