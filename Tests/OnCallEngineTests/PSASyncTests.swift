import Foundation
import OnCallCore
import OnCallEngine
import OnCallIntegrations
import OnCallStore
import OnCallTesting
import Testing

/// The PSA ticket sync of docs/psa.md against the fake PSA (a real HTTP server): one ticket per acknowledged
/// incident, notes in order after it, the resolution last, through failures.
@Suite("PSA ticket sync")
struct PSASyncTests {
    static func deliverer(_ psa: FakePSA) -> [String: any OutboxDeliverer] {
        ["psa": PSADeliverer(peer: .init(url: psa.url, serviceKey: Secret(psa.serviceKey)))]
    }

    static func trigger(_ engine: IncidentEngine, key: String = "disk-c") async throws -> IncidentRecord {
        try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "Disk C: full on FS01", severity: .high, dedupKey: key)).record
    }

    static func waitForTicket(_ h: EngineHarness, _ id: UUID) async throws -> String {
        try await SQL.waitUntil(h.url, "SELECT count(*) FROM incidents WHERE id = '\(id)' AND psa_ticket_id IS NOT NULL", equals: 1)
        return try await SQL.strings(h.url, "SELECT psa_ticket_id FROM incidents WHERE id = '\(id)'")[0]
    }

    @Test func acknowledgeOpensOneTicketNotesFollowInOrderAndResolveClosesIt() async throws {
        let psa = try await FakePSA()
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run(deliverers: Self.deliverer(psa)) { engines in
            let engine = engines[0]
            let incident = try await Self.trigger(engine)
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.note("Cleared 20 GB of old logs"), by: "technician:alice"), on: incident.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.note("Extended the volume"), by: "technician:bob"), on: incident.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.resolve, by: "technician:alice"), on: incident.id, tenantID: "acme")

            let ticket = try await Self.waitForTicket(h, incident.id)
            try await psa.server.waitFor(4, path: "/tickets")
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE incident_id = '\(incident.id)' AND channel = 'psa'", equals: 0)
            let tickets = psa.tickets
            #expect(tickets.count == 1)
            #expect(tickets.first?.id == ticket)
            #expect(tickets.first?.externalRef == "oncall:acme:\(incident.id.uuidString.lowercased())")
            #expect(tickets.first?.notes == ["Cleared 20 GB of old logs", "Extended the volume"])
            #expect(tickets.first?.status == "resolved")
            #expect(tickets.first?.resolution == "Resolved in On-Call by technician:alice")

            let calls = psa.server.received(path: "/tickets")
            #expect(calls.map(\.method) == ["POST", "POST", "POST", "PATCH"])
            #expect(calls.allSatisfy { $0.header("X-Service-Key") == psa.serviceKey })
            #expect(Set(calls.compactMap { $0.header("Idempotency-Key") }).count == 4)
            let create = try #require(calls.first?.json())
            #expect(create["acknowledged_by"] as? String == "technician:alice")
            #expect((create["incident"] as? [String: Any])?["number"] as? Int == Int(incident.number))
            #expect(calls[2].json()?["author"] as? String == "technician:bob")

            let timeline = try await engine.timeline(id: incident.id, tenantID: "acme").filter { $0.kind == "psa.delivered" }
            #expect(timeline.count == 4)
            #expect(timeline.first?.detail["ticket"] == ticket)
        }
        await psa.close()
    }

    /// Found by ops/chaos/run: resolving an incident nobody acknowledged (a monitoring recovery) asked the PSA to
    /// resolve a ticket that never existed, retried until it was a dead letter and listed as stuck meanwhile.
    @Test func anIncidentNeverAcknowledgedHasNoTicketToNoteOrResolve() async throws {
        let psa = try await FakePSA()
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run(deliverers: Self.deliverer(psa)) { engines in
            let engine = engines[0]
            let recovered = try await Self.trigger(engine, key: "recovered")
            _ = try await engine.act(IncidentEvent(.resolve, by: "integration:nagios"), on: recovered.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.note("it came back by itself"), by: "technician:alice"), on: recovered.id, tenantID: "acme")
            let skipped = try await engine.timeline(id: recovered.id, tenantID: "acme").filter { $0.kind == "psa.skipped" }
            #expect(skipped.map { $0.detail["kind"] } == ["psa.resolve_ticket", "psa.add_note"])
            #expect(skipped.first?.detail["reason"] == "no PSA ticket: the incident was never acknowledged")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM outbox WHERE incident_id = '\(recovered.id)' AND channel = 'psa'") == ["0"])

            // Forced into acknowledged by ops: that asks for the ticket, so its resolution follows it.
            let forced = try await Self.trigger(engine, key: "forced")
            _ = try await engine.act(IncidentEvent(.force(state: "acknowledged", reason: "owned by the NOC"), by: "ops"), on: forced.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.resolve, by: "ops"), on: forced.id, tenantID: "acme")
            _ = try await Self.waitForTicket(h, forced.id)
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE incident_id = '\(forced.id)' AND channel = 'psa'", equals: 0)
            #expect(psa.tickets.count == 1 && psa.tickets.first?.status == "resolved")
        }
        await psa.close()
    }

    /// Acknowledged, unacknowledged, acknowledged again: still one ticket (the second creation is skipped).
    @Test func aSecondAcknowledgementMakesNoSecondTicket() async throws {
        let psa = try await FakePSA()
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run(deliverers: Self.deliverer(psa)) { engine in
            let engine = engine[0]
            let incident = try await Self.trigger(engine)
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            let ticket = try await Self.waitForTicket(h, incident.id)
            _ = try await engine.act(IncidentEvent(.unacknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:bob"), on: incident.id, tenantID: "acme")
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE incident_id = '\(incident.id)' AND channel = 'psa'", equals: 0)
            #expect(psa.tickets.map(\.id) == [ticket])
            let skipped = try await engine.timeline(id: incident.id, tenantID: "acme").filter { $0.kind == "psa.skipped" }
            #expect(skipped.first?.detail["reason"] == "the incident already has PSA ticket \(ticket)")
        }
        await psa.close()
    }

    /// The PSA answers 500 three times, then accepts: one ticket, and the note waits for it.
    @Test func aFailingPSAStillEndsWithOneTicketAndTheNoteAfterIt() async throws {
        let psa = try await FakePSA()
        psa.server.queue([.init(status: 500), .init(status: 503, headers: [("Retry-After", "0")]), .init(status: 500)])
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run(retry: RetryPolicy(maxAttempts: 6, base: .milliseconds(100), cap: .milliseconds(400)), deliverers: Self.deliverer(psa)) { engines in
            let engine = engines[0]
            let incident = try await Self.trigger(engine)
            _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            _ = try await engine.act(IncidentEvent(.note("Looking"), by: "technician:alice"), on: incident.id, tenantID: "acme")
            let ticket = try await Self.waitForTicket(h, incident.id)
            try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE incident_id = '\(incident.id)' AND channel = 'psa'", equals: 0)
            #expect(psa.tickets.count == 1 && psa.tickets.first?.id == ticket)
            #expect(psa.tickets.first?.notes == ["Looking"])
            let calls = psa.server.received(path: "/tickets")
            #expect(calls.count == 5, "three refused creations, the creation, the note")
            #expect(Set(calls.prefix(4).compactMap { $0.header("Idempotency-Key") }).count == 1, "every retry carries the same key")
            #expect(calls.last?.path == "/tickets/\(ticket)/notes")
        }
        await psa.close()
    }

    /// The PSA made the ticket but its answer never arrived (as if On-Call died before recording it): the retry
    /// carries the same key, the PSA answers with the same ticket, and there is still one.
    @Test func aRetriedCreationAfterALostAnswerMakesNoSecondTicket() async throws {
        let psa = try await FakePSA()
        let payload = #"{"operation":"create_ticket","incident":{"incident_id":"7d6f0c1e-0000-4000-8000-000000000001","tenant_id":"acme","number":7,"title":"t","severity":"high","service_id":"endpoints"}}"#
        let delivery = Delivery(tenantID: "acme", kind: "psa.create_ticket", channel: "psa", payload: payload, idempotencyKey: "k-1", attempt: 1)
        let deliverer = PSADeliverer(peer: .init(url: psa.url, serviceKey: Secret(psa.serviceKey)))
        let first = await deliverer.deliver(delivery)
        let again = await deliverer.deliver(delivery)
        #expect(first == .delivered(detail: "HTTP 201, ticket T-1001", psaTicketID: "T-1001"))
        #expect(again == first)
        #expect(psa.tickets.count == 1)
        // Another key for the same incident (a PSA that deduplicates on external_ref answers 409 with the ticket).
        var other = delivery
        other.idempotencyKey = "k-2"
        #expect(await deliverer.deliver(other) == .delivered(detail: "HTTP 409, ticket T-1001", psaTicketID: "T-1001"))
        // Wrong service key: refused, a dead letter (trying again cannot help).
        let wrong = PSADeliverer(peer: .init(url: psa.url, serviceKey: Secret("nope")))
        #expect(await wrong.deliver(other) == .failed(error: "HTTP 401"))
        // A note before the ticket exists waits.
        let note = Delivery(tenantID: "acme", kind: "psa.add_note", channel: "psa",
                            payload: payload.replacingOccurrences(of: "create_ticket", with: "add_note"), idempotencyKey: "k-3", attempt: 1)
        if case .retry = await deliverer.deliver(note) {} else { Issue.record("a note without a ticket must wait") }
        await psa.close()
    }

    @Test func withoutAPSAAcknowledgingWorksAndTheTimelineSaysWhyThereIsNoTicket() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run { engines in
            let engine = engines[0]
            let incident = try await Self.trigger(engine)
            let acked = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
            #expect(acked.record?.state == "acknowledged")
            let skipped = try await engine.timeline(id: incident.id, tenantID: "acme").filter { $0.kind == "psa.skipped" }
            #expect(skipped.first?.detail["kind"] == "psa.create_ticket")
            #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM outbox WHERE channel = 'psa'") == ["0"])
        }
    }
}
