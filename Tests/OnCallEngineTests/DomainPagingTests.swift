import Foundation
import Testing
import OnCallCore
import OnCallEngine
import OnCallStore
import OnCallTesting
import PostgresNIO

/// Who the engine pages once the tenant's set-up has schedules, maintenance windows and urgency: written with
/// the same store `oncall apply` and the admin API use, run on real time against a real PostgreSQL.
@Suite("Paging from schedules, windows and urgency")
struct DomainPagingTests {
    /// A tenant whose `endpoints` service pages the `primary` schedule (bob every day, an override for alice
    /// around now) and whose `quiet` service is in a maintenance window for the next `windowSeconds`.
    static func tenant(receiver: RecordingHTTPServer, overrideAlice: Bool, windowSeconds: Int) -> TenantConfiguration {
        let now = Date()
        let utc = ZoneRules(identifier: "UTC")!
        func local(_ offset: TimeInterval) -> LocalDateTime { utc.localDateTime(at: Timestamp(now.addingTimeInterval(offset)))! }
        let people = ["alice", "bob", "erin"].map { id in
            Technician(id: id, name: id.capitalized, contactMethods: [ContactMethod(id: "\(id)-hook", type: .webhook, address: receiver.url("/pages/\(id)"))])
        }
        // Wall-clock times below are UTC's, so the schedule's zone is UTC.
        let schedule = Schedule(
            id: "primary", name: "Primary", timeZone: "UTC",
            layers: [ScheduleLayer(name: "Daily", rotation: .daily, handoff: LocalDateTime("2026-01-05T09:00")!, members: ["bob"])],
            overrides: overrideAlice ? [ScheduleOverride(technician: "alice", start: local(-3600), end: local(3600))] : []
        )
        return TenantConfiguration(
            id: "acme", name: "Acme", technicians: people, schedules: [schedule],
            escalationPolicies: [EscalationPolicy(id: "standard", name: "Standard", layers: [
                EscalationLayer(delay: .seconds(60), targets: [.schedule("primary")]),
                EscalationLayer(delay: .seconds(60), targets: [.technician("erin")]),
            ])],
            services: [
                Service(id: "endpoints", name: "Endpoints", escalationPolicy: "standard"),
                Service(id: "quiet", name: "Quiet", escalationPolicy: "standard", maintenanceWindows: [
                    MaintenanceWindow(start: local(-600), end: local(TimeInterval(windowSeconds)), timeZone: "UTC"),
                ]),
            ]
        )
    }

    static func harness(overrideAlice: Bool = false, _ label: String = #function) async throws -> EngineHarness {
        let h = try await EngineHarness.make(label) { seed, _ in seed.tenant = "seed-only" }
        try await write(tenant(receiver: h.receiver, overrideAlice: overrideAlice, windowSeconds: 3600), to: h)
        return h
    }

    static func write(_ tenant: TenantConfiguration, to h: EngineHarness) async throws {
        let client = Database.makeClient(h.url, logger: TestDatabase.logger, maximumConnections: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let problems = ConfigurationValidator.validate(tenant)
            #expect(problems.isEmpty, "\(problems)")
            _ = try await DomainStore(client: client, logger: TestDatabase.logger).update(tenantID: "acme") { _ in tenant }
        }
    }

    static func trigger(_ engine: IncidentEngine, service: String = "endpoints", severity: Severity = .critical) async throws -> IncidentRecord {
        try await engine.trigger(.init(tenantID: "acme", serviceID: service, title: "Disk full", severity: severity, actor: "integration:test")).record
    }

    @Test func aScheduleTargetPagesWhoeverIsOnCall() async throws {
        let h = try await Self.harness()
        try await h.run { engines in
            let incident = try await Self.trigger(engines[0])
            #expect(incident.state == "escalating")
            let page = try await h.receiver.waitFor(1, path: "/pages")[0]
            #expect(page.path == "/pages/bob", "bob is the daily rotation's only member")
            #expect((page.json()?["technician"] as? [String: Any])?["id"] as? String == "bob")
        }
    }

    @Test func aReassignedTechnicianIsPagedDirectly() async throws {
        let h = try await Self.harness()
        try await h.run { engines in
            let incident = try await Self.trigger(engines[0])
            _ = try await h.receiver.waitFor(1, path: "/pages")
            let result = try await engines[0].act(IncidentEvent(.reassign(.technician("alice")), by: "technician:bob"), on: incident.id, tenantID: "acme")
            guard case .applied(let record) = result else { Issue.record("\(result)"); return }
            #expect(record.snapshot.assignee == "alice" && record.state == "escalating")
            let page = try await h.receiver.waitFor(2, path: "/pages")[1]
            #expect(page.path == "/pages/alice", "alice is not on call: the reassignment pages her anyway")
            #expect(page.json()?["reassigned"] as? Bool == true)
        }
    }

    @Test func anOverrideOnTheScheduleTakesThePage() async throws {
        let h = try await Self.harness(overrideAlice: true)
        try await h.run { engines in
            _ = try await Self.trigger(engines[0])
            let page = try await h.receiver.waitFor(1, path: "/pages")[0]
            #expect(page.path == "/pages/alice")
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.receiver.received(path: "/pages/bob").isEmpty)
        }
    }

    /// A change written by another process (oncall apply, another node's admin API) reaches this engine at
    /// once through the `oncall_tenants` notification, not after its 5 s cache expires.
    @Test func aChangeFromElsewhereReachesTheEngineAtOnce() async throws {
        let h = try await Self.harness()
        try await h.run { engines in
            _ = try await Self.trigger(engines[0])
            #expect(try await h.receiver.waitFor(1, path: "/pages")[0].path == "/pages/bob")
            try await Self.write(Self.tenant(receiver: h.receiver, overrideAlice: true, windowSeconds: 3600), to: h)
            try await Task.sleep(for: .milliseconds(800))  // the notification's trip, far below the cache's 5 s
            _ = try await engines[0].trigger(.init(tenantID: "acme", serviceID: "endpoints", title: "Second", severity: .critical, dedupKey: "second"))
            let pages = try await h.receiver.waitFor(2, path: "/pages")
            #expect(pages[1].path == "/pages/alice", "the override written elsewhere is already in force")
        }
    }

    @Test func lowSeverityIsRecordedButPagesNoOne() async throws {
        let h = try await Self.harness()
        try await h.run { engines in
            let incident = try await Self.trigger(engines[0], severity: .low)
            #expect(incident.state == "triggered")
            #expect(incident.snapshot.timers.isEmpty)
            try await Task.sleep(for: .milliseconds(500))
            #expect(h.receiver.received(path: "/pages").isEmpty)
            let deferred = try await engines[0].timeline(id: incident.id, tenantID: "acme").first { $0.kind == "paging.deferred" }
            #expect(deferred?.detail["reason"] == "severity")
        }
    }

    @Test func anAlertInAMaintenanceWindowWaitsForItsEndThenEscalates() async throws {
        let h = try await Self.harness()
        try await h.run { engines in
            // A window that ends a few seconds from now (written now, so a slow set-up cannot eat it). Its end as
            // written (wall-clock seconds) is the instant paging may start; under load the trigger may come later.
            let tenant = Self.tenant(receiver: h.receiver, overrideAlice: false, windowSeconds: 8)
            try await Self.write(tenant, to: h)
            let windowEnd = try tenant.services.first { $0.id == "quiet" }!.maintenanceWindows[0].instants().end
            engines[0].forget(tenantID: "acme")
            let incident = try await Self.trigger(engines[0], service: "quiet")
            try #require(incident.createdAt < windowEnd, "the machine was too slow to open the incident inside the window")
            #expect(incident.state == "triggered", "recorded, paging no one during the window")
            #expect(incident.snapshot.timers["maintenance_over"]?.dueAt == windowEnd)
            let page = try await h.receiver.waitFor(1, path: "/pages", timeout: .seconds(25))[0]
            #expect(page.path == "/pages/bob")
            #expect(Timestamp(page.at) >= windowEnd, "paged when the window ended, not before")
            _ = try await engines[0].waitFor(incident.id) { $0.state == "escalating" }
            let timeline = try await engines[0].timeline(id: incident.id, tenantID: "acme").map(\.kind)
            #expect(timeline.contains("maintenance.ended") && timeline.contains("paging.deferred"))
        }
    }
}
