import Foundation
import Testing
import OnCallCore
import OnCallEngine
import OnCallStore
import OnCallTesting

/// One dedup key firing hard: the alerts queued behind each other are folded into shared commits, and none is
/// lost or counted twice.
@Suite("Hot dedup key")
struct HotKeyTests {
    @Test func concurrentRepeatsAreFoldedIntoFewerCommitsAndAllCounted() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run { engines in
            let engine = engines[0]
            let first = try await EscalationIntegrationTests.trigger(engine, key: "hot")
            let repeats = 600
            let results = try await withThrowingTaskGroup(of: IncidentEngine.TriggerResult.self) { group in
                for index in 0..<repeats {
                    group.addTask {
                        try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "Disk full on srv-01",
                                                       severity: index == repeats / 2 ? .critical : .high, dedupKey: "hot", actor: "integration:test"))
                    }
                }
                var all: [IncidentEngine.TriggerResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.allSatisfy { if case .deduplicated(let record) = $0 { record.id == first.id } else { false } }, "every repeat folded into the open incident")
            let stored = try #require(try await engine.incident(id: first.id, tenantID: "acme"))
            #expect(stored.snapshot.alertCount == repeats + 1, "each alert counted once")
            #expect(stored.version < Int64(repeats / 2), "folded into shared commits: \(stored.version) versions for \(repeats) alerts")
            // Still one incident, its timers as the last alert left them, and a later command works as before.
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incidents WHERE dedup_key = 'hot'") == ["1"])
            let acknowledged = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: first.id, tenantID: "acme")
            #expect(acknowledged.record?.state == "acknowledged")
        }
    }
}
