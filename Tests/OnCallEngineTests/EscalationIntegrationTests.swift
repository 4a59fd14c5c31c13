import Foundation
import Testing
import OnCallCore
import OnCallEngine
import OnCallIntegrations
import OnCallStore
import OnCallTesting

/// The engine against a real PostgreSQL and a real HTTP receiver for pages, on real time (1 s layer delays).
@Suite("Escalation end to end")
struct EscalationIntegrationTests {
    static func trigger(_ engine: IncidentEngine, key: String? = nil, title: String = "Disk full on srv-01") async throws -> IncidentRecord {
        try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: title, severity: .critical, dedupKey: key, actor: "integration:test")).record
    }

    @Test func layerOneThenLayerTwoThenAcknowledgeStopsIt() async throws {
        let h = try await EngineHarness.make { _, _ in }
        try await h.run { engines in
            let engine = engines[0]
            let incident = try await Self.trigger(engine)
            #expect(incident.number == 1 && incident.state == "escalating")

            let first = try await h.receiver.waitFor(1, path: "/pages/alice")[0]
            let page = try #require(first.json())
            #expect(page["incident_id"] as? String == incident.id.uuidString.lowercased())
            #expect(page["title"] as? String == "Disk full on srv-01")
            #expect(page["severity"] as? String == "critical")
            #expect(page["layer"] as? Int == 1)
            #expect((page["technician"] as? [String: Any])?["id"] as? String == "alice")
            #expect((page["acknowledge_url"] as? String)?.hasPrefix("http://oncall.test/ack/v1.") == true)
            #expect(first.header("Idempotency-Key")?.hasPrefix(incident.id.uuidString.lowercased()) == true)
            // Signed with the tenant's secret over the timestamp and the exact body.
            let secret = try await SQL.strings(h.url, "SELECT convert_from(value, 'UTF8') FROM server_secrets WHERE name = 'webhook_signing:acme'")[0]
            let signature = try #require(first.header("X-OnCall-Signature"))
            let t = try #require(signature.split(separator: ",").first.flatMap { Double($0.dropFirst(2)) })
            #expect(signature == WebhookPageDeliverer.signature(body: first.text, secret: secret, at: Date(timeIntervalSince1970: t)))
            #expect(signature != WebhookPageDeliverer.signature(body: first.text + " ", secret: secret, at: Date(timeIntervalSince1970: t)))

            // Layer 2 waits for layer 1's delay (the bound above is loose: a loaded CI machine is slow; timer
            // precision is measured by ops/bench/timer-lateness, not here).
            let second = try await h.receiver.waitFor(1, path: "/pages/bob")[0]
            let gap = second.at.timeIntervalSince(incident.createdAt.date)
            #expect(gap >= 1.0 && gap < 6, "layer 2 paged about 1 s after the incident opened, not \(gap)")

            let acked = try await engine.act(IncidentEvent(.acknowledge, by: "technician:bob"), on: incident.id, tenantID: "acme")
            #expect(acked.record?.state == "acknowledged")
            #expect(acked.record?.acknowledgedBy == "technician:bob")
            try await Task.sleep(for: .seconds(2.5))
            #expect(h.receiver.received(path: "/pages").count == 2, "acknowledge stops escalation")

            let timeline = try await engine.timeline(id: incident.id, tenantID: "acme").map(\.kind)
            #expect(timeline.contains("layer.paged") && timeline.contains("page.delivered") && timeline.contains("timer.fired"))
            #expect(timeline.filter { $0 == "state.changed" }.count == 2)
        }
    }

    @Test func repeatsThenExhaustionThenSilence() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.repeatCount = 1 }
        try await h.run { engines in
            let incident = try await Self.trigger(engines[0])
            let pages = try await h.receiver.waitFor(4, path: "/pages")
            #expect(pages.map(\.path) == ["/pages/alice", "/pages/bob", "/pages/alice", "/pages/bob"])
            let record = try await engines[0].waitFor(incident.id) { $0.snapshot.exhausted }
            #expect(record.state == "escalating" && record.snapshot.round == 1)
            try await Task.sleep(for: .seconds(1.5))
            #expect(h.receiver.received(path: "/pages").count == 4)
            let timeline = try await engines[0].timeline(id: incident.id, tenantID: "acme").map(\.kind)
            #expect(timeline.contains("escalation.repeated") && timeline.contains("escalation.exhausted"))
        }
    }

    @Test func ackTimeoutEscalatesAgainFromLayerOne() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.ackTimeoutSeconds = 1 }
        try await h.run { engines in
            let engine = engines[0]
            let incident = try await Self.trigger(engine)
            try await h.receiver.waitFor(1, path: "/pages/alice")
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            let again = try await h.receiver.waitFor(2, path: "/pages/alice")
            #expect(again[1].at.timeIntervalSince(again[0].at) >= 0.9)
            let record = try await engine.waitFor(incident.id) { $0.state == "escalating" }
            #expect(record.snapshot.layer == 1)
        }
    }

    @Test func snoozeKeepsItQuietUntilItEnds() async throws {
        let h = try await EngineHarness.make { _, _ in }
        try await h.run { engines in
            let engine = engines[0]
            let incident = try await Self.trigger(engine)
            try await h.receiver.waitFor(1, path: "/pages/alice")
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            let snoozed = try await engine.act(IncidentEvent(.snooze(.seconds(1)), by: "technician:alice"), on: incident.id, tenantID: "acme")
            #expect(snoozed.record?.state == "acknowledged")
            try await h.receiver.waitFor(2, path: "/pages/alice")
            #expect(try await engine.incident(id: incident.id, tenantID: "acme")?.state == "escalating")
        }
    }

    @Test func autoResolveClosesIncidentsThatNeverRecover() async throws {
        let h = try await EngineHarness.make { seed, _ in
            seed.autoResolveSeconds = 1
            seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])]
        }
        try await h.run { engines in
            let incident = try await Self.trigger(engines[0])
            let resolved = try await engines[0].waitFor(incident.id) { !$0.isOpen }
            #expect(resolved.state == "resolved" && resolved.resolvedBy == "system")
            #expect(try await engines[0].timeline(id: incident.id, tenantID: "acme").contains { $0.kind == "incident.auto_resolved" })
        }
    }

    @Test func aRepeatedKeyFoldsIntoTheOpenIncidentAndPagesNoOne() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run { engines in
            let engine = engines[0]
            let first = try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "UPS on battery", severity: .high, dedupKey: "ups-1"))
            let again = try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "UPS on battery", severity: .high, dedupKey: "ups-1"))
            guard case .created(let created) = first, case .deduplicated(let folded) = again else {
                Issue.record("expected created then deduplicated, got \(first) and \(again)")
                return
            }
            #expect(folded.id == created.id && folded.snapshot.alertCount == 2)
            try await h.receiver.waitFor(1, path: "/pages/alice")
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.receiver.received(path: "/pages").count == 1)

            _ = try await engine.act(IncidentEvent(.resolve, by: "technician:alice"), on: created.id, tenantID: "acme")
            let reopened = try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "UPS on battery", severity: .high, dedupKey: "ups-1"))
            guard case .created(let second) = reopened else { Issue.record("after resolve the key opens a new incident"); return }
            #expect(second.id != created.id && second.number == 2)
        }
    }

    /// The service names the fixture workflow: critical incidents start at layer 2, and no code changed.
    @Test func aServiceOnAnotherWorkflowBehavesAsThatFileSays() async throws {
        let h = try await EngineHarness.make { seed, _ in
            seed.workflow = "critical-first"
            seed.ackTimeoutSeconds = 1
        }
        try await h.run { engines in
            let engine = engines[0]
            let critical = try await Self.trigger(engine)
            #expect(critical.workflow == "critical-first")
            try await h.receiver.waitFor(1, path: "/pages/bob")
            #expect(h.receiver.received(path: "/pages/alice").isEmpty, "layer 1 is skipped for critical incidents")
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:bob"), on: critical.id, tenantID: "acme")
            try await Task.sleep(for: .seconds(1.5))
            let record = try await engine.incident(id: critical.id, tenantID: "acme")
            #expect(record?.state == "acknowledged", "this workflow has no ack timeout, whatever the service says")
            #expect(record?.snapshot.timers.isEmpty == true)
        }
    }

    @Test func concurrentTriggersWithOneKeyMakeOneIncident() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run(nodes: 2) { engines in
            let results = try await withThrowingTaskGroup(of: IncidentEngine.TriggerResult.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await engines[index % 2].trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "storm", severity: .high, dedupKey: "storm-1"))
                    }
                }
                var all: [IncidentEngine.TriggerResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(Set(results.map(\.record.id)).count == 1)
            #expect(results.filter { if case .created = $0 { true } else { false } }.count == 1)
            let record = try await engines[0].waitFor(results[0].record.id) { $0.snapshot.alertCount == 20 }
            #expect(record.snapshot.alertCount == 20)
        }
    }
}
