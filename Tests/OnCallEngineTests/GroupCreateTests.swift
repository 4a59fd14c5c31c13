import Foundation
import OnCallCore
import OnCallEngine
import OnCallStore
import OnCallTesting
import Testing

/// New incidents share transactions: one batch of creations, of several tenants, some meeting an open
/// incident with their dedup key.
@Suite struct GroupCreateTests {
    static func creation(_ tenant: String, key: String?, title: String = "disk full", context: IncidentContext = IncidentContext()) -> IncidentStore.Creation {
        let interpreter = EngineHarness.workflows["incident"]!
        let now = Timestamp(Date())
        let outcome = interpreter.start(severity: .high, now: now, parameters: WorkflowParameters(layers: [.init(delay: .seconds(600))]), by: "integration:test")
        let record = IncidentRecord(
            tenantID: tenant, id: UUID(), number: 0, serviceID: "endpoints", workflow: "incident", title: title, severity: .high,
            dedupKey: key, isOpen: true, version: 1, snapshot: outcome.snapshot, createdAt: now, updatedAt: now
        )
        return IncidentStore.Creation(record: record, context: context) { numbered in
            var journal = outcome
            journal.journal.append(JournalEntry(kind: "test.numbered", detail: ["number": String(numbered.number)]))
            return (journal, [])
        }
    }

    @Test func oneBatchOpensIncidentsOfSeveralTenantsAndYieldsOnOpenKeys() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        var globex = Seed()
        globex.tenant = "globex"
        globex.layers = [.init(delaySeconds: 600, technicians: [])]
        try await globex.write(to: h.url)
        try await h.run { engines in
            let store = engines[0].store
            guard case .created(let first, _) = try await store.createBatch([Self.creation("acme", key: "disk")])[0] else {
                Issue.record("the first incident was not created")
                return
            }
            #expect(first.number == 1)

            let context = IncidentContext(source: "nagios", description: "Disk /var 97 % — ünïcødé", device: "web-01",
                                          links: #"[{"url":"https://nagios.example/"}]"#, details: #"{"host":"web-01"}"#)
            let batch = [
                Self.creation("acme", key: "disk"),                   // open since the first batch
                Self.creation("acme", key: "cpu", context: context),  // new
                Self.creation("acme", key: "cpu"),                    // the same key earlier in this batch
                Self.creation("globex", key: "disk"),                 // another tenant's key space
                Self.creation("acme", key: nil, title: "no key 1"),   // no key: always new
                Self.creation("acme", key: nil, title: "no key 2"),
            ]
            let results = try await store.createBatch(batch)
            let numbers = results.map { result -> Int64? in if case .created(let record, _) = result { record.number } else { nil } }
            // acme: "disk" took 2 and yielded (numbers only grow, with gaps); globex starts at 1.
            #expect(numbers == [nil, 3, nil, 1, 4, 5])

            let rows = try await SQL.strings(h.url, """
                SELECT tenant_id || '|' || number || '|' || coalesce(dedup_key, '-') || '|' || coalesce(source, '-') || '|' || coalesce(description, '-')
                       || '|' || coalesce(device, '-') || '|' || coalesce(links::text, '-') || '|' || coalesce(details::text, '-')
                FROM incidents ORDER BY tenant_id, number
                """)
            #expect(rows == [
                "acme|1|disk|-|-|-|-|-",
                #"acme|3|cpu|nagios|Disk /var 97 % — ünïcødé|web-01|[{"url": "https://nagios.example/"}]|{"host": "web-01"}"#,
                "acme|4|-|-|-|-|-|-",
                "acme|5|-|-|-|-|-|-",
                "globex|1|disk|-|-|-|-|-",
            ])
            // The plan saw each incident's number, and only the incidents written have a timeline.
            let numbered = try await SQL.strings(h.url, """
                SELECT i.tenant_id || '|' || i.number || '|' || (j.detail->>'number') FROM incident_journal j
                JOIN incidents i ON i.tenant_id = j.tenant_id AND i.id = j.incident_id WHERE j.kind = 'test.numbered' ORDER BY 1
                """)
            #expect(numbered == ["acme|1|1", "acme|3|3", "acme|4|4", "acme|5|5", "globex|1|1"])
            let orphans = try await SQL.strings(h.url, "SELECT count(*)::text FROM incident_journal j WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = j.incident_id)")
            #expect(orphans == ["0"])
        }
    }

    @Test func aKeyResolvedOnAnotherNodeOpensANewIncidentHere() async throws {
        let h = try await EngineHarness.make { seed, _ in seed.layers = [.init(delaySeconds: 600, technicians: ["alice"])] }
        try await h.run(nodes: 2) { engines in
            let request = IncidentEngine.TriggerRequest(tenantID: "acme", serviceID: "endpoints", title: "backup failed", severity: .high, dedupKey: "backup-7")
            let opened = try await engines[0].trigger(request)
            guard case .created = opened else { Issue.record("not created: \(opened)"); return }
            let again = try await engines[0].trigger(request)
            #expect(again == .deduplicated(again.record) && again.record.id == opened.record.id)

            // Node 1 resolves it; node 0 still remembers the key as open.
            _ = try await engines[1].act(IncidentEvent(.resolve, by: "technician:alice"), on: opened.record.id, tenantID: "acme")
            let reopened = try await engines[0].trigger(request)
            guard case .created(let fresh) = reopened else { Issue.record("expected a new incident, got \(reopened)"); return }
            #expect(fresh.id != opened.record.id && fresh.number > opened.record.number)

            // Node 1 never saw the new incident: its insert yields to it and the alert folds in.
            let folded = try await engines[1].trigger(request)
            #expect(folded == .deduplicated(folded.record) && folded.record.id == fresh.id)
            let record = try await engines[0].waitFor(fresh.id) { $0.snapshot.alertCount == 2 }
            #expect(record.isOpen)
            let old = try await engines[0].incident(id: opened.record.id, tenantID: "acme")
            #expect(old?.isOpen == false && old?.snapshot.alertCount == 2)
        }
    }
}
