import Foundation
import OnCallTesting
import Testing

/// `oncall dev fakes`: the fake peers by hand.
@Suite("oncall dev fakes")
struct DevCommandTests {
    @Test func theFakesRunSayWhereAndPrintWhatTheyReceive() async throws {
        let fakes = try ServerProcess(["dev", "fakes", "--webhooks-port", "0", "--psa-port", "0", "--hub-port", "0", "--sms-port", "0", "--smtp-port", "0"])
        defer { fakes.terminate() }
        let line = try await fakes.line(containing: "PSA_API_URL=")
        let psa = try #require(line.split(separator: " ").first { $0.hasPrefix("PSA_API_URL=") }).dropFirst("PSA_API_URL=".count)
        let port = try #require(Int(psa.split(separator: ":").last ?? ""))
        let created = try await TestHTTP.http1(port: port, "POST", "/tickets", headers: [
            ("X-Service-Key", "psa-service-key"), ("Idempotency-Key", "k-1"), ("Content-Type", "application/json"),
        ], body: Array(#"{"external_ref":"oncall:acme:1","title":"Disk full"}"#.utf8))
        let ticket = try created.json()["id"] as? String
        #expect(created.status == 201 && ticket == "T-1001")
        #expect(try await fakes.line(containing: "psa: POST /tickets").contains("Disk full"))
    }
}
