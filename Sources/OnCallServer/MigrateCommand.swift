import ArgumentParser
import Logging
import OnCallCore
import OnCallStore
import PostgresNIO

/// `oncall migrate`: apply the bundled migrations and exit.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations and exit.")

    func run() async throws {
        let configuration = try ProcessEnvironment.configuration()
        let logger = ProcessEnvironment.logger(configuration)
        let runner = try MigrationRunner.bundled()
        let database = try await DatabaseSession.open(configuration, logger: logger)
        defer { database.close() }
        try await Self.apply(database, runner: runner, logger: logger)
    }

    /// Waits for the database, applies the migrations on a short-lived client, and prints what it did.
    static func apply(_ database: DatabaseSession, runner: MigrationRunner, logger: Logger) async throws {
        let client = Database.makeClient(database.url, logger: logger, maximumConnections: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await DatabaseWait.untilReachable(client: client, description: database.url.description, logger: logger)
            let report = try await runner.apply(client: client, logger: logger)
            for migration in report.applied { announce("applied \(migration.version)_\(migration.name)") }
            announce("migrations: \(report.applied.count) applied, \(report.alreadyApplied) already in place")
        }
    }
}
