import Foundation
import Testing
import Logging
import OnCallCore
import OnCallHTTP
import OnCallStore
import OnCallTesting
import PostgresNIO

@Suite("Readiness against a real PostgreSQL")
struct ReadinessTests {
    @Test func readyOnceMigrationsRanAndNotBefore() async throws {
        let url = try await TestDatabase.fresh()
        let client = Database.makeClient(url, logger: TestDatabase.logger, maximumConnections: 4)
        let runner = try MigrationRunner.bundled()
        try await withLiveServer(readiness: { await Readiness.check(client: client, runner: runner, logger: TestDatabase.logger) }, services: [client]) { port in
            let before = try await TestHTTP.h2c(port: port, "GET", "/readyz")
            #expect(before.status == 503)
            #expect(before.text.contains("migrations not applied"))
            #expect(before.text.contains(#""code":"not_ready""#))

            _ = try await runner.apply(client: client, logger: TestDatabase.logger)
            let after = try await TestHTTP.http1(port: port, "GET", "/readyz")
            #expect(after.status == 200)
            let body = try after.json()
            #expect(body["status"] as? String == "ready")
            // Readiness also says which peers are not configured (none are in this test).
            let integrations = try #require(body["integrations"] as? [[String: any Sendable]])
            #expect(integrations.contains { $0["name"] as? String == "psa" && ($0["impact"] as? String)?.contains("no billable ticket") == true })
        }
    }

    /// A cluster of its own, stopped and started again under a running server.
    @Test func notReadyWhileTheDatabaseIsDownAndReadyWhenItReturns() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oncall-readyz-\(UUID().uuidString)").path
        let embedded = try EmbeddedPostgres(rootDirectory: root, logger: TestDatabase.logger)
        defer {
            embedded.stop()
            try? FileManager.default.removeItem(atPath: embedded.root)
        }
        let started = try embedded.start()
        try await Database.createDatabaseIfMissing(started.url, logger: TestDatabase.logger)
        let client = Database.makeClient(started.url, logger: TestDatabase.logger, maximumConnections: 4)
        let runner = try MigrationRunner.bundled()

        try await withLiveServer(readiness: { await Readiness.check(client: client, runner: runner, logger: TestDatabase.logger) }, services: [client]) { port in
            _ = try await runner.apply(client: client, logger: TestDatabase.logger)
            #expect(try await TestHTTP.http1(port: port, "GET", "/readyz").status == 200)

            embedded.stop()
            let down = try await TestHTTP.h2c(port: port, "GET", "/readyz")
            #expect(down.status == 503)
            #expect(down.text.contains("database"))
            // The process itself is alive.
            #expect(try await TestHTTP.h2c(port: port, "GET", "/healthz").status == 200)

            let restarted = try embedded.start()
            #expect(restarted.url == started.url, "the cluster comes back on the same socket")
            var status = 0
            for _ in 0..<60 {
                status = try await TestHTTP.http1(port: port, "GET", "/readyz").status
                if status == 200 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(status == 200)
        }
    }
}
