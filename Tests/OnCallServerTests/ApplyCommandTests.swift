import Foundation
import Testing
import OnCallCore
import OnCallStore
import OnCallTesting

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
        #expect(keys.allSatisfy { $0.contains("webhook https://oncall.example/api/webhooks/") && $0.contains(" key oc_") })

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
