import Foundation
public import Logging
public import OnCallCore
import OnCallStore
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// A fresh database per suite, on the test cluster: `TEST_DATABASE_URL` when set, else an embedded cluster
/// under `.oncall/test` that this test process starts once and stops when it exits.
public enum TestDatabase {
    public static let logger: Logger = {
        var logger = Logger(label: "oncall.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["ONCALL_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    /// A new, empty database; its name starts with `t_` and says which test made it.
    public static func fresh(_ label: String = #function) async throws -> DatabaseURL {
        let server = try await cluster.value
        let name = "t_" + label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(30) + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let url = server.with(database: String(name))
        try await Database.createDatabaseIfMissing(url, logger: logger)
        return url
    }

    /// A fresh database with this build's migrations applied.
    public static func migrated(_ label: String = #function) async throws -> DatabaseURL {
        let url = try await fresh(label)
        let client = Database.makeClient(url, logger: logger, maximumConnections: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            _ = try await MigrationRunner.bundled().apply(client: client, logger: logger)
            group.cancelAll()
        }
        return url
    }

    /// The server all test databases live on (the `postgres` maintenance database's URL, other names swapped in).
    static let cluster = Task<DatabaseURL, any Error> {
        if let text = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !text.isEmpty {
            return try DatabaseURL(parsing: text, variable: "TEST_DATABASE_URL")
        }
        let root = ProcessInfo.processInfo.environment["ONCALL_TEST_DATA_DIR"] ?? PackagePaths.root + "/.oncall/test"
        // The suites run in parallel, each with its pools and one-off connections: 300 was once not enough.
        let embedded = try EmbeddedPostgres(rootDirectory: root, maxConnections: 1000, logger: logger)
        let started = try embedded.start()
        ClusterOwner.embedded = embedded
        atexit { ClusterOwner.embedded?.stop() }
        if started.owned { try await dropLeftovers(started.url) }
        return started.url
    }

    /// Databases from earlier runs (this process owns the cluster, so none is in use).
    private static func dropLeftovers(_ url: DatabaseURL) async throws {
        try await Database.withMaintenanceConnection(url, logger: logger) { connection in
            let rows = try await connection.query("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'", logger: logger)
            var names: [String] = []
            for try await name in rows.decode(String.self) { names.append(name) }
            for name in names {
                try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(Database.quoteIdentifier(name)) WITH (FORCE)"), logger: logger)
            }
        }
    }
}

/// Holds the test cluster for the `atexit` hook (a C callback cannot capture).
private enum ClusterOwner {
    nonisolated(unsafe) static var embedded: EmbeddedPostgres?
}
