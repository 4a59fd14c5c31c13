import Foundation
import Testing
import OnCallCore
import OnCallEngine
import OnCallIntegrations
import OnCallParsers
import OnCallStore
import OnCallTesting
import PostgresNIO

/// The PostgreSQL bus and its consumer: order that never skips a late commit, and RMM/Security/Backups
/// messages turned into incidents on each tenant's routes.
@Suite("Event bus")
struct BusTests {
    static func fixture(_ name: String) throws -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return try String(contentsOf: url.appendingPathComponent("fixtures/bus/\(name)"), encoding: .utf8)
    }

    static func withBus(_ url: DatabaseURL, _ body: @Sendable (PostgresBus, PostgresClient) async throws -> Void) async throws {
        let client = Database.makeClient(url, logger: TestDatabase.logger, maximumConnections: 6)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let bus = PostgresBus(client: client, logger: TestDatabase.logger)
            try await bus.prepare()
            try await body(bus, client)
        }
    }

    /// Polls until at least `count` messages are handed out (10 s at most), returning what the last poll gave.
    static func poll(_ bus: PostgresBus, _ group: String, atLeast count: Int) async throws -> [BusDelivery] {
        let deadline = ContinuousClock.now + .seconds(10)
        var last: [BusDelivery] = []
        while ContinuousClock.now < deadline {
            last = try await bus.poll(group: group, limit: 10)
            if last.count >= count { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    static func publish(_ bus: PostgresBus, _ id: String, on connection: PostgresConnection? = nil) async throws {
        let json = #"{"specversion":"1.0","id":"\#(id)","source":"test","type":"test.message"}"#
        if let connection {
            try await connection.query("INSERT INTO bus_messages (id, type, source, body) VALUES (\(id), 'test.message', 'test', \(json)::jsonb)", logger: TestDatabase.logger)
        } else {
            try await bus.publish(id: id, type: "test.message", source: "test", subject: nil, tenantID: nil, json: json)
        }
    }

    @Test func aMessageCommittedLateIsNotSkipped() async throws {
        let url = try await TestDatabase.migrated()
        try await Self.withBus(url) { bus, _ in
            try await Self.publish(bus, "first")
            try await Database.withConnection(url, logger: TestDatabase.logger) { slow in
                // A publisher that started before "third" and commits after it.
                try await slow.query("BEGIN", logger: TestDatabase.logger)
                try await Self.publish(bus, "second", on: slow)
                try await Self.publish(bus, "third")
                // Other suites' transactions on the same cluster can hold readers back for a moment: wait for "first".
                let whileOpen = try await Self.poll(bus, "g", atLeast: 1)
                #expect(whileOpen.map(\.id) == ["first"], "nothing after the open transaction's message is handed out yet")
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await bus.poll(group: "g", limit: 10).map(\.id) == ["first"], "still held back while it is open")
                for delivery in whileOpen { try await bus.acknowledge(delivery, group: "g") }
                try await slow.query("COMMIT", logger: TestDatabase.logger)
            }
            let after = try await Self.poll(bus, "g", atLeast: 2).map(\.id)
            #expect(after == ["second", "third"], "the late commit comes first: nothing skipped")
            #expect(try await bus.publish(id: "first", type: "test.message", source: "test", subject: nil, tenantID: nil, json: #"{"specversion":"1.0","id":"first","source":"test","type":"test.message"}"#) == false)
            #expect(try await Self.poll(bus, "other", atLeast: 3).map(\.id) == ["first", "second", "third"], "each group has its own offset")
        }
    }

    @Test func rmmSecurityAndBackupsMessagesBecomeIncidentsOnTheirRoutes() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.tenant = "acme-msp" }
        // Routes for the seeded tenant: everything to its one service.
        _ = try await SQL.strings(h.url, "INSERT INTO routes (tenant_id, source, service_id) SELECT 'acme-msp', s, 'endpoints' FROM unnest(ARRAY['rmm','security','backups']) s RETURNING 'ok'")
        try await h.run { engines in
            try await Self.withBus(h.url) { bus, client in
                for name in ["rmm-alert-raised.json", "rmm-alert-raised-medium.json", "security-event-detected.json", "security-event-low.json", "backups-job-failed.json"] {
                    let json = try Self.fixture(name)
                    let event = try #require(try? OnCallParsersBus.decode(json))
                    try await bus.publish(id: event.id, type: event.type, source: event.source, subject: nil, tenantID: event.tenantID, json: json)
                }
                let consumer = BusConsumer(engine: engines[0], bus: bus, domain: DomainStore(client: client, logger: TestDatabase.logger),
                                           alertLog: AlertLog(client: client, logger: TestDatabase.logger), idle: .milliseconds(100))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await consumer.run() }
                    defer { group.cancelAll() }
                    try await SQL.waitUntil(h.url, "SELECT count(*) FROM alerts", equals: 5)
                    let incidents = try await SQL.strings(h.url, "SELECT source || ' ' || severity || ' ' || dedup_key FROM incidents ORDER BY source")
                    #expect(incidents == ["backups low backups:job_nightly_sql02", "rmm critical rmm:alr_91be2c", "security high security:evt_dw_5521"],
                            "medium RMM and low Security are dropped; a low Backups failure still opens one")
                    #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM alerts WHERE action = 'ignored'") == ["2"], "dropped ones are counted")

                    for name in ["rmm-alert-cleared.json", "backups-job-succeeded.json", "rmm-alert-raised.json"] {
                        let json = try Self.fixture(name)
                        let event = try #require(try? OnCallParsersBus.decode(json))
                        try await bus.publish(id: event.id, type: event.type, source: event.source, subject: nil, tenantID: event.tenantID, json: json)
                    }
                    try await SQL.waitUntil(h.url, "SELECT count(*) FROM alerts", equals: 7)
                    let states = try await SQL.strings(h.url, "SELECT dedup_key || ' ' || state FROM incidents ORDER BY dedup_key")
                    #expect(states == ["backups:job_nightly_sql02 resolved", "rmm:alr_91be2c resolved", "security:evt_dw_5521 escalating"])
                    #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM alerts") == ["7"], "a message published twice is consumed once")

                    // The tenant lowers its RMM threshold: a medium alert now opens an incident.
                    _ = try await SQL.strings(h.url, #"UPDATE tenants SET settings = '{"rmm_min_severity":"medium"}' WHERE id = 'acme-msp' RETURNING id"#)
                    let medium = try Self.fixture("rmm-alert-raised-medium.json").replacingOccurrences(of: "rmm-55aa01c4", with: "rmm-55aa01c5")
                    try await bus.publish(id: "rmm-55aa01c5-0f6e-4b1e-8c52-7e0d9b3f4a66", type: "com.theonestack.rmm.alert.raised", source: "theonermm-api",
                                          subject: nil, tenantID: "acme-msp", json: medium)
                    try await SQL.waitUntil(h.url, "SELECT count(*) FROM incidents WHERE dedup_key = 'rmm:alr_91be3d'", equals: 1)
                }
            }
        }
    }

    /// With the bus in the main database, a message's receipt (handled id, the group's offset) commits in the
    /// same transaction as the change it causes: once `ingest` returns, the message counts as consumed even if
    /// the consumer dies before acknowledging it, whether the alert opened, folded into or resolved an incident.
    @Test func aMessageIsConsumedInTheTransactionOfItsIncident() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run { engines in
            try await Self.withBus(h.url) { _, client in
                let shared = PostgresBus(client: client, logger: TestDatabase.logger, sharesMainDatabase: true)
                let separate = PostgresBus(client: client, logger: TestDatabase.logger)
                let group = BusConsumer.group
                func next(_ id: String, _ action: NormalizedAlert.Action, on bus: PostgresBus) async throws -> (BusDelivery, [AlertOutcome]) {
                    try await Self.publish(bus, id)
                    let delivery = try #require(try await Self.poll(bus, group, atLeast: 1).first)
                    #expect(delivery.id == id)
                    let alert = NormalizedAlert(action: action, dedupKey: "rmm:disk-c", title: "Disk C: full", severity: .critical, source: "rmm")
                    let outcomes = try await engines[0].ingest([alert], tenantID: "acme", serviceID: "endpoints", actor: "rmm",
                                                               receipt: bus.receipt(for: delivery, group: group))
                    return (delivery, outcomes)
                }

                // Opens an incident: no acknowledge call follows, as if the consumer died right after the commit.
                let (opened, first) = try await next("m-open", .trigger, on: shared)
                #expect(first.first?.deduplicated == false && first.first?.incidentID != nil)
                #expect(try await shared.handled(messageID: opened.id, group: group))
                #expect(try await shared.poll(group: group, limit: 10).isEmpty, "the offset moved with the incident")

                // Folds into it (an actor's group commit), then resolves it.
                let (folded, second) = try await next("m-again", .trigger, on: shared)
                #expect(second.first?.deduplicated == true)
                #expect(try await shared.handled(messageID: folded.id, group: group))
                let (resolved, third) = try await next("m-resolve", .resolve, on: shared)
                #expect(third.first?.incidentID == first.first?.incidentID)
                #expect(try await shared.handled(messageID: resolved.id, group: group))
                #expect(try await shared.poll(group: group, limit: 10).isEmpty)

                // A bus in another database has no receipt: the consumer's acknowledgement is what moves it.
                let (elsewhere, _) = try await next("m-separate", .trigger, on: separate)
                #expect(try await separate.handled(messageID: elsewhere.id, group: group) == false)
                #expect(try await separate.poll(group: group, limit: 10).map(\.id) == ["m-separate"])
                try await separate.acknowledge(elsewhere, group: group)
                #expect(try await separate.poll(group: group, limit: 10).isEmpty)
            }
        }
    }

    /// Each transition's lifecycle event reaches the bus as CloudEvents 1.0 JSON, in the incident's order, once
    /// (a delivery repeated after a crash finds its id already there).
    @Test func lifecycleEventsArePublishedInOrderOnce() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await Self.withBus(h.url) { bus, _ in
            try await h.run(deliverers: ["publish": BusPublishDeliverer(bus: bus)]) { engines in
                let engine = engines[0]
                let incident = try await engine.trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "RAID degraded", severity: .critical, dedupKey: "raid")).record
                _ = try await engine.act(IncidentEvent(.acknowledge, by: "technician:alice"), on: incident.id, tenantID: "acme")
                _ = try await engine.act(IncidentEvent(.note("Replacing the disk"), by: "technician:alice"), on: incident.id, tenantID: "acme")
                _ = try await engine.act(IncidentEvent(.resolve, by: "technician:alice"), on: incident.id, tenantID: "acme")
                try await SQL.waitUntil(h.url, "SELECT count(*) FROM bus_messages WHERE subject = '\(incident.id.uuidString.lowercased())'", equals: 4)
                try await SQL.waitUntil(h.url, "SELECT count(*) FROM outbox WHERE incident_id = '\(incident.id)'", equals: 0)

                let deliveries = try await Self.poll(bus, "hub", atLeast: 4)
                #expect(deliveries.map(\.type) == ["incident.created", "incident.acknowledged", "incident.note_added", "incident.resolved"].map { "com.theonestack.oncall." + $0 })
                #expect(Set(deliveries.map(\.id)).count == 4)
                let events = try deliveries.map { try #require(try JSONSerialization.jsonObject(with: Data($0.json.utf8)) as? [String: Any]) }
                #expect(events.allSatisfy { $0["specversion"] as? String == "1.0" && $0["source"] as? String == "theoneoncall-api" && $0["tenantid"] as? String == "acme" })
                #expect(events.allSatisfy { $0["subject"] as? String == incident.id.uuidString.lowercased() })
                let data = events.compactMap { $0["data"] as? [String: Any] }
                #expect(data.map { $0["state"] as? String } == ["escalating", "acknowledged", "acknowledged", "resolved"])
                #expect(data.last?["resolved_by"] as? String == "technician:alice" && data.first?["number"] as? Int == Int(incident.number))

                // The fixtures of docs/bus.md have the same fields, and On-Call's own consumer ignores these events.
                for (name, event) in zip(["created", "acknowledged", "note-added", "resolved"], events) {
                    let json = try Self.fixture("oncall-incident-\(name).json")
                    let fixture = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                    #expect(Set(fixture.keys) == Set(event.keys), "\(name)")
                    #expect(Set((fixture["data"] as? [String: Any] ?? [:]).keys) == Set((event["data"] as? [String: Any] ?? [:]).keys), "\(name)")
                    #expect(fixture["type"] as? String == event["type"] as? String)
                    #expect(try BusEvent.decode(Array(json.utf8)).decision() == .ignored)
                }

                // Delivering an event again (a crash after publishing, before marking) adds nothing.
                let again = await BusPublishDeliverer(bus: bus).deliver(Delivery(
                    tenantID: "acme", kind: "publish", channel: "hub", payload: deliveries[0].json, idempotencyKey: deliveries[0].id, attempt: 2
                ))
                #expect(again == .delivered(detail: "com.theonestack.oncall.incident.created was already on the bus"))
                #expect(try await SQL.strings(h.url, "SELECT count(*)::text FROM bus_messages") == ["4"])
            }
        }
    }
}

/// The bus envelope reader, by a name that does not clash with the test's imports.
enum OnCallParsersBus {
    static func decode(_ json: String) throws -> BusEventFields {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        return BusEventFields(id: object["id"] as? String ?? "", type: object["type"] as? String ?? "", source: object["source"] as? String ?? "",
                              tenantID: object["tenantid"] as? String)
    }

    struct BusEventFields {
        var id, type, source: String
        var tenantID: String?
    }
}
