import Foundation
import Testing
import OnCallCore
import OnCallEngine
import OnCallStore
import OnCallTesting
import PostgresNIO

@Suite("Outbox delivery: retries, dead letters, order")
struct DeliveryTests {
    @Test func aFailingReceiverIsRetriedWithTheSameKeyUntilItAccepts() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        h.receiver.queue([.init(status: 500), .init(status: 503), .init(status: 200)])
        try await h.run { engines in
            let incident = try await EscalationIntegrationTests.trigger(engines[0])
            let attempts = try await h.receiver.waitFor(3, path: "/pages/alice")
            #expect(Set(attempts.compactMap { $0.header("Idempotency-Key") }).count == 1, "every attempt carries the same key")
            #expect(attempts[2].at.timeIntervalSince(attempts[1].at) >= 0.09, "back-off between attempts")
            let timeline = try await engines[0].waitForTimeline(incident.id) { $0.contains { $0.kind == "page.delivered" } }
            let delivered = try #require(timeline.first { $0.kind == "page.delivered" })
            #expect(delivered.detail["attempts"] == "3" && delivered.detail["result"] == "HTTP 200")
            try await Task.sleep(for: .milliseconds(500))
            #expect(h.receiver.received(path: "/pages").count == 3)
        }
    }

    @Test func aRefusingReceiverMakesADeadLetterThatHoldsItsChannel() async throws {
        let h = try await EngineHarness.make { seed, _ in
            seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])]
        }
        h.receiver.answerAlways(.init(status: 404))
        try await h.run { engines in
            let engine = engines[0]
            let incident = try await EscalationIntegrationTests.trigger(engine)
            let timeline = try await engine.waitForTimeline(incident.id) { $0.contains { $0.kind == "delivery.dead" } }
            let dead = try #require(timeline.first { $0.kind == "delivery.dead" })
            #expect(dead.detail["error"] == "HTTP 404" && dead.detail["attempts"] == "1", "a 404 is not retried")
            // A second page to the same contact method waits behind the dead letter (per-incident order).
            _ = try await engine.act(IncidentEvent(.escalate(layer: 1), by: "technician:erin"), on: incident.id, tenantID: "acme")
            h.receiver.answerAlways(.init(status: 200))
            try await Task.sleep(for: .seconds(1.5))
            #expect(h.receiver.received(path: "/pages/alice").count == 1)
            let rows = try await engine.store.client.query("SELECT status FROM outbox WHERE incident_id = \(incident.id) ORDER BY id")
            var statuses: [String] = []
            for try await status in rows.decode(String.self) { statuses.append(status) }
            #expect(statuses == ["dead", "pending"])
        }
    }

    @Test func anAcknowledgementDropsPagesWaitingToBeRetried() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        h.receiver.queue([.init(status: 429, headers: [("Retry-After", "30")])])
        try await h.run { engines in
            let incident = try await EscalationIntegrationTests.trigger(engines[0])
            _ = try await h.receiver.waitFor(1, path: "/pages/alice")
            try await SQL.waitUntil(h.url, "SELECT count(*)::int FROM outbox WHERE incident_id = '\(incident.id)' AND attempts = 1 AND locked_by IS NULL", equals: 1)
            _ = try await engines[0].act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            try await SQL.waitUntil(h.url, "SELECT count(*)::int FROM outbox WHERE incident_id = '\(incident.id)' AND channel LIKE 'page:%'", equals: 0)
        }
    }

    @Test func retryAfterFromA429IsHonoured() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        h.receiver.queue([.init(status: 429, headers: [("Retry-After", "2")])])
        try await h.run { engines in
            _ = try await EscalationIntegrationTests.trigger(engines[0])
            let attempts = try await h.receiver.waitFor(2, path: "/pages/alice", timeout: .seconds(10))
            let gap = attempts[1].at.timeIntervalSince(attempts[0].at)
            #expect(gap >= 1.9, "waited for Retry-After, not the 200 ms back-off: \(gap)")
        }
    }

    @Test func passivatedActorsComeBackFromTheDatabase() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run { engines in
            let engine = engines[0]
            let incident = try await EscalationIntegrationTests.trigger(engine)
            _ = try await engine.act(IncidentEvent(.note("first"), by: "technician:alice"), on: incident.id, tenantID: "acme")
            #expect(engine.activeActors == 1)
            #expect(engine.passivate(idleFor: .zero) == 1)
            #expect(engine.activeActors == 0)
            let acked = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            #expect(acked.record?.state == "acknowledged")
            #expect(acked.record?.version == 3, "the fresh actor read version 2 from the row and committed 3")
        }
    }
}

@Suite("Retry back-off")
struct RetryPolicyTests {
    @Test func exponentialCappedAndJittered() {
        let policy = RetryPolicy(maxAttempts: 12, base: .seconds(1), cap: .seconds(300))
        #expect(policy.delay(afterAttempt: 1, random: 1.0) == .seconds(1))
        #expect(policy.delay(afterAttempt: 4, random: 1.0) == .seconds(8))
        #expect(policy.delay(afterAttempt: 4, random: 0.5) == .seconds(4))
        #expect(policy.delay(afterAttempt: 10, random: 1.0) == .seconds(300), "capped")
        #expect(policy.delay(afterAttempt: 60, random: 1.0) == .seconds(300), "no overflow for large attempts")
        for attempt in 1...12 {
            let delay = policy.delay(afterAttempt: attempt)
            #expect(delay > .zero && delay <= .seconds(300))
        }
    }
}

extension IncidentEngine {
    func waitForTimeline(_ id: UUID, tenant: String = "acme", timeout: Duration = .seconds(15), _ condition: ([JournalRecord]) -> Bool) async throws -> [JournalRecord] {
        let deadline = ContinuousClock.now + timeout
        var last: [JournalRecord] = []
        while ContinuousClock.now < deadline {
            last = try await timeline(id: id, tenantID: tenant)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSupportError("timeline of \(id) did not reach the expected condition: \(last.map(\.kind))")
    }
}
