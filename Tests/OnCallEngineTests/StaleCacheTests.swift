import Foundation
import Testing
import OnCallCore
import OnCallEngine
import OnCallStore
import OnCallTesting

/// Two nodes each cache the incidents their actors served. A decision that writes nothing (a repeat, a
/// refusal, a stale timer) is not caught by the version check, so it must not rest on a copy another node has
/// since made old. Found by ops/chaos/run (timers deleted as stale by the node with the old copy).
@Suite("Decisions on another node's newer state")
struct StaleCacheTests {
    static func harness(_ label: String = #function) async throws -> EngineHarness {
        try await EngineHarness.make(label) { seed, _ in
            seed.layers = [.init(delaySeconds: 600, technicians: ["alice"]), .init(delaySeconds: 600, technicians: ["bob"])]
        }
    }

    @Test func aTimerReArmedOnAnotherNodeFiresInsteadOfBeingDeleted() async throws {
        let h = try await Self.harness()
        try await h.run(nodes: 2) { engines in
            let (a, b) = (engines[0], engines[1])
            let incident = try await EscalationIntegrationTests.trigger(a)
            _ = try await a.act(IncidentEvent(.note("a caches it"), by: "technician:alice"), on: incident.id, tenantID: "acme")
            // Node b escalates: layer_timeout is re-armed with a new generation that node a's copy does not know.
            let escalated = try #require(try await b.act(IncidentEvent(.escalate(layer: 2), by: "technician:bob"), on: incident.id, tenantID: "acme").record)
            let timer = try #require(escalated.snapshot.timers["layer_timeout"])
            // The timer row comes due and node a claims it.
            let fired = try await a.act(IncidentEvent(.timer(name: "layer_timeout", generation: timer.generation), by: "system"), on: incident.id, tenantID: "acme")
            guard case .applied(let after) = fired else { Issue.record("the live timer was judged stale: \(fired)"); return }
            #expect(after.snapshot.exhausted, "layer 2 was the last and the policy has no repeats")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM incident_journal WHERE incident_id = '\(incident.id)' AND kind = 'timer.fired'") == ["1"])
        }
    }

    @Test func aRepeatedAcknowledgeOnAnOldCopyIsJudgedOnTheNewState() async throws {
        let h = try await Self.harness()
        try await h.run(nodes: 2) { engines in
            let (a, b) = (engines[0], engines[1])
            let incident = try await EscalationIntegrationTests.trigger(a)
            _ = try await a.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            _ = try await b.act(IncidentEvent(.unacknowledge, by: "technician:bob"), on: incident.id, tenantID: "acme")
            // Node a still holds "acknowledged": without a fresh look this would answer "already acknowledged" and write nothing.
            let again = try await a.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            guard case .applied(let record) = again else { Issue.record("acknowledge lost: \(again)"); return }
            #expect(record.state == "acknowledged")
            let stored = try #require(try await b.incident(id: incident.id, tenantID: "acme"))
            #expect(stored.state == "acknowledged")
        }
    }
}
