import Foundation
import Testing
import OnCallCore
import OnCallStore
import OnCallTesting
import JWTKit

/// `oncall apply` as a process against a real PostgreSQL: the example file applies as it is, twice.
@Suite("oncall apply")
struct ApplyCommandTests {
    static var acme: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/config/acme.yaml").path
    }

    static func apply(_ url: DatabaseURL, _ arguments: [String]) async throws -> (status: Int32, text: String) {
        let process = try ServerProcess(["apply"] + arguments, environment: ["DATABASE_URL": url.connectionString, "ONCALL_PUBLIC_URL": "https://oncall.example"])
        defer { process.terminate() }
        let status = try await process.waitForExit(timeout: .seconds(120))
        return (status, process.text)
    }

    @Test func theExampleAppliesThenASecondRunChangesNothing() async throws {
        let url = try await TestDatabase.fresh()

        let dry = try await Self.apply(url, ["--dry-run", Self.acme])
        #expect(dry.status == 0, "\(dry.text)")
        #expect(dry.text.contains("tenant acme-msp: 26 changes planned (dry run: nothing written)"), "\(dry.text)")
        #expect(!dry.text.contains("key oc_"), "a dry run hands out no key")
        #expect(try await SQL.strings(url, "SELECT count(*)::text FROM tenants") == ["0"])

        let first = try await Self.apply(url, [Self.acme])
        #expect(first.status == 0, "\(first.text)")
        #expect(first.text.contains("tenant acme-msp: 26 changes"))
        for line in ["create technician alice", "create schedule primary", "create escalation policy security-first", "create service web",
                     "create route defend", "create integration noc-wall"] {
            #expect(first.text.contains(line), "\(line) missing:\n\(first.text)")
        }
        let keys = first.text.split(separator: "\n").filter { $0.contains("(shown once)") }
        #expect(keys.count == 8, "one generated key per integration")
        #expect(keys.allSatisfy { $0.contains(" key oc_") })
        #expect(keys.filter { $0.contains("webhook https://oncall.example/api/webhooks/") }.count == 7)
        #expect(keys.contains { $0.contains("integration noc-wall: for the Bridge and Search APIs key oc_") })

        let second = try await Self.apply(url, [Self.acme])
        #expect(second.status == 0)
        #expect(second.text.contains("tenant acme-msp: no changes"), "\(second.text)")
        #expect(second.text.contains("nothing to change"))
        #expect(!second.text.contains("(shown once)"))

        #expect(try await SQL.strings(url, "SELECT count(*)::text FROM technicians WHERE tenant_id = 'acme-msp'") == ["5"])
        #expect(try await SQL.strings(url, "SELECT string_agg(technician_id || '@' || delay_seconds, ',' ORDER BY technician_id, position) FROM notification_rules WHERE tenant_id = 'acme-msp' AND technician_id = 'alice'") == ["alice@0,alice@120"])
        #expect(try await SQL.strings(url, "SELECT starts_at AT TIME ZONE 'UTC' || '' FROM maintenance_windows WHERE service_id = 'web'") == ["2026-12-06 21:00:00"])
        #expect(try await SQL.strings(url, "SELECT count(*)::text FROM integrations WHERE octet_length(key_sha256) = 32") == ["8"])
    }

    @Test func anEditedFileChangesOnlyWhatDiffers() async throws {
        let url = try await TestDatabase.fresh()
        #expect(try await Self.apply(url, [Self.acme]).status == 0)
        let edited = try String(contentsOfFile: Self.acme, encoding: .utf8)
            .replacingOccurrences(of: "ack_timeout: 15m", with: "ack_timeout: 20m")
            .replacingOccurrences(of: "      - { id: grafana, type: grafana, service: web }\n", with: "")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("acme-edited-\(UUID().uuidString).yaml").path
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await Self.apply(url, [file])
        #expect(run.status == 0, "\(run.text)")
        #expect(run.text.contains("tenant acme-msp: 2 changes"), "\(run.text)")
        #expect(run.text.contains("update service security-ops") && run.text.contains("delete integration grafana"))
    }

    @Test func aBrokenFileIsRefusedWithFileLineAndPathAndChangesNothing() async throws {
        let url = try await TestDatabase.fresh()
        let broken = try String(contentsOfFile: Self.acme, encoding: .utf8).replacingOccurrences(of: "members: [alice, bob, carol]", with: "members: [alice, bob, zed]")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("acme-broken-\(UUID().uuidString).yaml").path
        try broken.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await Self.apply(url, [file])
        #expect(run.status == 2)
        #expect(run.text.contains("tenants[0].schedules[0].layers[0].members[2]") && run.text.contains("zed"), "\(run.text)")
        #expect(run.text.contains(":80:") || run.text.contains("(line 80)"), "the line of the member list: \(run.text)")
    }
}

/// The served API after `oncall apply`, with a real Hub token signed by HUB_JWT_SECRET: the wiring of the
/// verifier, provisioning and the schedule answers in the shipped binary.
@Suite("Hub SSO against oncall serve")
struct HubSSOProcessTests {
    static let secret = "process-test-hub-secret-0123456789abcdef"

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var tenant_id: String
        var role: String
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    static func token(role: String, subject: String, secret: String = secret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(Claims(sub: .init(value: subject), tenant_id: "acme-msp", role: role, exp: .init(value: Date().addingTimeInterval(600))))
    }

    @Test func aHubTokenReachesTheAppliedTenantWithItsRole() async throws {
        let url = try await TestDatabase.fresh()
        #expect(try await ApplyCommandTests.apply(url, [ApplyCommandTests.acme]).status == 0)
        let server = try ServerProcess(["serve"], environment: [
            "DATABASE_URL": url.connectionString, "HUB_JWT_SECRET": Self.secret, "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "0",
        ])
        defer { server.terminate() }
        let port = try await server.listeningPort()

        let alice = try await Self.token(role: "admin", subject: "hub-7f3a")
        let me = try await TestHTTP.http1(port: port, "GET", "/api/me", headers: [("Authorization", "Bearer \(alice)")])
        #expect(me.status == 200, "\(me.text)")
        #expect(me.text.contains(#""role":"manager""#) && me.text.contains(#""id":"alice""#))

        let christmas = try await TestHTTP.h2c(port: port, "GET", "/api/schedules/primary/oncall?at=2026-12-25T12:00:00Z", headers: [("authorization", "Bearer \(alice)")])
        #expect(christmas.status == 200 && christmas.text.contains(#""technician":"carol""#), "\(christmas.text)")

        let member = try await Self.token(role: "member", subject: "hub-91c2")
        let refused = try await TestHTTP.http1(port: port, "DELETE", "/api/services/web", headers: [("Authorization", "Bearer \(member)")])
        #expect(refused.status == 403)
        let forged = try await Self.token(role: "owner", subject: "hub-e5e5", secret: "someone-elses-secret-0123456789abcdef")
        #expect(try await TestHTTP.http1(port: port, "GET", "/api/me", headers: [("Authorization", "Bearer \(forged)")]).status == 401)
    }
}

extension HubSSOProcessTests {
    /// Someone who joined through the Hub after the file was written keeps their technician when the file
    /// is applied again.
    @Test func reapplyingTheFileKeepsTechniciansProvisionedAtFirstLogin() async throws {
        let url = try await TestDatabase.fresh()
        #expect(try await ApplyCommandTests.apply(url, [ApplyCommandTests.acme]).status == 0)
        let server = try ServerProcess(["serve"], environment: [
            "DATABASE_URL": url.connectionString, "HUB_JWT_SECRET": Self.secret, "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "0",
        ])
        defer { server.terminate() }
        let port = try await server.listeningPort()
        let newcomer = try await Self.token(role: "member", subject: "hub-newcomer")
        #expect(try await TestHTTP.http1(port: port, "GET", "/api/me", headers: [("Authorization", "Bearer \(newcomer)")]).status == 200)
        #expect(try await SQL.strings(url, "SELECT id FROM technicians WHERE hub_user_id = 'hub-newcomer'") == ["hub-newcomer"])

        let again = try await ApplyCommandTests.apply(url, [ApplyCommandTests.acme])
        #expect(again.text.contains("tenant acme-msp: no changes"), "\(again.text)")
        #expect(try await SQL.strings(url, "SELECT id FROM technicians WHERE hub_user_id = 'hub-newcomer'") == ["hub-newcomer"])
    }
}
