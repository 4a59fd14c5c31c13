import Testing
import Logging
import OnCallCore
@testable import OnCallStore
import OnCallTesting
import PostgresNIO

@Suite("Migrations against a real PostgreSQL")
struct MigrationRunnerTests {
    func withClient<T: Sendable>(_ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = Database.makeClient(url, logger: TestDatabase.logger, maximumConnections: 4)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await client.run(); return nil }
            let result = try await body(client)
            group.cancelAll()
            return result
        }
    }

    let runner = MigrationRunner(migrations: [
        Migration(version: 1, name: "one", sql: "CREATE TABLE one (id int PRIMARY KEY);"),
        Migration(version: 2, name: "two", sql: "CREATE TABLE two (id int PRIMARY KEY REFERENCES one); INSERT INTO one VALUES (1); INSERT INTO two VALUES (1);"),
    ])

    @Test func appliesOnceThenReportsNothingToDo() async throws {
        let url = try await TestDatabase.fresh()
        try await withClient(url) { client in
            let before = try await runner.status(client: client, logger: TestDatabase.logger)
            #expect(before.pending == [1, 2] && !before.isCurrent)
            let first = try await runner.apply(client: client, logger: TestDatabase.logger)
            #expect(first.applied.map(\.version) == [1, 2])
            let second = try await runner.apply(client: client, logger: TestDatabase.logger)
            #expect(second.applied.isEmpty && second.alreadyApplied == 2)
            let after = try await runner.status(client: client, logger: TestDatabase.logger)
            #expect(after.isCurrent && after.appliedVersions == [1, 2])
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() async throws {
        let url = try await TestDatabase.fresh()
        let reports = try await withThrowingTaskGroup(of: MigrationRunner.Report.self) { group in
            for _ in 0..<4 {
                group.addTask { try await withClient(url) { try await runner.apply(client: $0, logger: TestDatabase.logger) } }
            }
            var all: [MigrationRunner.Report] = []
            for try await report in group { all.append(report) }
            return all
        }
        #expect(reports.map(\.applied.count).reduce(0, +) == 2)
        #expect(reports.filter { !$0.applied.isEmpty }.count == 1)
    }

    @Test func aFailingMigrationLeavesNothingBehindAndSaysWhich() async throws {
        let url = try await TestDatabase.fresh()
        let broken = MigrationRunner(migrations: [
            Migration(version: 1, name: "ok", sql: "CREATE TABLE ok (id int);"),
            Migration(version: 2, name: "broken", sql: "CREATE TABLE half (id int); SELECT no_such_column FROM ok;"),
        ])
        try await withClient(url) { client in
            await #expect {
                _ = try await broken.apply(client: client, logger: TestDatabase.logger)
            } throws: { error in
                "\(error)".contains("2_broken") && "\(error)".contains("no_such_column")
            }
            let status = try await broken.status(client: client, logger: TestDatabase.logger)
            #expect(status.appliedVersions == [1] && status.pending == [2])
            let half = try await client.query("SELECT to_regclass('half') IS NULL")
            for try await gone in half.decode(Bool.self) { #expect(gone, "the failed migration's first statement was rolled back") }
        }
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        let url = try await TestDatabase.fresh()
        try await withClient(url) { client in
            _ = try await runner.apply(client: client, logger: TestDatabase.logger)
            let edited = MigrationRunner(migrations: [runner.migrations[0], Migration(version: 2, name: "two", sql: "SELECT 1;")])
            await #expect(throws: MigrationError.self) { _ = try await edited.apply(client: client, logger: TestDatabase.logger) }
            let status = try await edited.status(client: client, logger: TestDatabase.logger)
            #expect(status.changed == [2] && !status.isCurrent)
        }
    }
}

@Suite("Embedded cluster placement")
struct EmbeddedPlacementTests {
    @Test func rootOnlyFoldersAreDetectedForThePostgresUser() throws {
        // /root is 0700 on Debian; /tmp is 1777.
        #expect(EmbeddedPostgres.firstUntraversableAncestor(of: "/tmp/a/b", forUser: "postgres") == nil)
        if let info = try? FileManagerAttributes.mode(of: "/root"), info & 0o001 == 0 {
            #expect(EmbeddedPostgres.firstUntraversableAncestor(of: "/root/project/.oncall", forUser: "postgres") == "/root")
        }
    }

    @Test func relocationIsStablePerFolder() {
        #expect(EmbeddedPostgres.fnv1a("/root/a") == EmbeddedPostgres.fnv1a("/root/a"))
        #expect(EmbeddedPostgres.fnv1a("/root/a") != EmbeddedPostgres.fnv1a("/root/b"))
    }
}

import Foundation
enum FileManagerAttributes {
    static func mode(of path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
    }
}
