import Foundation
import OnCallCore
import OnCallEngine
import OnCallIntegrations
import OnCallStore
import OnCallTesting
import PostgresNIO
import Synchronization
import Testing

/// Daily active technicians to Hub Billing (the fake, a real HTTP server): each complete UTC day once per
/// tenant, days missed caught up, failures retried, two nodes sending each report once.
@Suite("Hub Billing reports")
struct BillingTests {
    static let today = Timestamp(microseconds: 1_795_946_400_000_000)  // 2026-11-29T10:00:00Z

    static func prepare(_ url: DatabaseURL) async throws {
        var acme = Seed()
        acme.technicians = ["alice": "http://127.0.0.1:9/a", "bob": "http://127.0.0.1:9/b"]
        try await acme.write(to: url)
        var globex = Seed()
        globex.tenant = "globex"
        try await globex.write(to: url)
        _ = try await SQL.strings(url, """
            UPDATE tenants SET created_at = CASE id WHEN 'acme' THEN timestamptz '2026-11-25 12:00Z' ELSE timestamptz '2026-08-01 00:00Z' END
            RETURNING id
            """)
        _ = try await SQL.strings(url, """
            INSERT INTO technician_activity (tenant_id, day, technician_id, first_seen_at) VALUES
              ('acme', '2026-11-25', 'alice', now()), ('acme', '2026-11-26', 'alice', now()), ('acme', '2026-11-26', 'bob', now()),
              ('acme', '2026-11-28', 'bob', now()), ('acme', '2026-11-29', 'alice', now())
            RETURNING tenant_id
            """)
    }

    static func withReporters(_ url: DatabaseURL, _ hub: FakeHubBilling, nodes: Int = 1, clock: @escaping @Sendable () -> Timestamp,
                              _ body: @Sendable ([BillingReporter]) async throws -> Void) async throws {
        let client = Database.makeClient(url, logger: TestDatabase.logger, maximumConnections: 6)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let reporters = (0..<nodes).map { index in
                BillingReporter(
                    reports: BillingReports(client: client, logger: TestDatabase.logger, node: "node-\(index)"),
                    hub: HubBillingClient(peer: .init(url: hub.url, serviceKey: Secret(hub.serviceKey))),
                    retry: RetryPolicy(maxAttempts: 5, base: .seconds(1), cap: .seconds(2)), logger: TestDatabase.logger, clock: clock
                )
            }
            try await body(reporters)
        }
    }

    @Test func eachCompleteDayIsReportedOncePerTenant() async throws {
        let url = try await TestDatabase.migrated()
        try await Self.prepare(url)
        let hub = try await FakeHubBilling()
        try await Self.withReporters(url, hub, clock: { Self.today }) { reporters in
            #expect(try await reporters[0].runOnce() == 4 + 35)
            let acme = hub.usage.filter { $0.tenantID == "acme" }
            #expect(acme.map(\.date) == ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"], "complete days since the tenant was created")
            #expect(acme.map(\.quantity) == [1, 2, 0, 1], "distinct technicians active that day")
            let globex = hub.usage.filter { $0.tenantID == "globex" }
            #expect(globex.count == 35 && globex.first?.date == "2026-10-25" && globex.last?.date == "2026-11-28", "catch-up reaches 35 days back")
            #expect(try await reporters[0].runOnce() == 0, "nothing twice")
            #expect(hub.server.received.count == 39)
            let request = try #require(hub.server.received.first)
            #expect(request.header("X-Service-Key") == hub.serviceKey && request.header("Idempotency-Key")?.hasPrefix("oncall:billing:") == true)
        }
        await hub.close()
    }

    @Test func aFailingHubIsRetriedAndTwoNodesSendEachReportOnce() async throws {
        let url = try await TestDatabase.migrated()
        try await Self.prepare(url)
        _ = try await SQL.strings(url, "DELETE FROM tenants WHERE id = 'globex' RETURNING id")
        let hub = try await FakeHubBilling()
        hub.server.queue([.init(status: 500), .init(status: 503)])
        let clock = ManualClock(Self.today)
        try await Self.withReporters(url, hub, nodes: 2, clock: { clock.now }) { reporters in
            async let a = reporters[0].runOnce()
            async let b = reporters[1].runOnce()
            let first = try await a + b
            #expect(first == 2, "two reports refused, retried later")
            clock.advance(.seconds(10))
            #expect(try await reporters[1].runOnce() == 2)
            #expect(hub.usage.map(\.quantity) == [1, 2, 0, 1])
            #expect(hub.server.received.count == 6, "4 reports, 2 of them twice")
            let keys = hub.server.received.compactMap { $0.header("Idempotency-Key") }
            #expect(Set(keys).count == 4)
            #expect(try await SQL.strings(url, "SELECT count(*)::text FROM billing_reports WHERE status = 'sent'") == ["4"])
        }
        await hub.close()
    }
}

/// A clock the test moves.
final class ManualClock: Sendable {
    private let value: Mutex<Timestamp>
    init(_ start: Timestamp) { value = Mutex(start) }
    var now: Timestamp { value.withLock { $0 } }
    func advance(_ by: Duration) { value.withLock { $0 = $0 + by } }
}
