import Logging
import OnCallCore
import OnCallStore
import OnCallTesting
import PostgresNIO

enum OnCallStoreMigrationCount {
    static func bundled() throws -> Int { try Migration.bundled().count }
}

enum MigrationRows {
    /// Rows in `schema_migrations` of the database at `url`.
    static func count(_ url: DatabaseURL) async throws -> Int {
        let client = Database.makeClient(url, logger: TestDatabase.logger, maximumConnections: 1)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { await client.run(); return -1 }
            var total = 0
            for try await count in try await client.query("SELECT count(*)::int FROM schema_migrations").decode(Int.self) { total = count }
            group.cancelAll()
            return total
        }
    }
}

/// Small SQL reads for process tests.
enum SQL {
    static func strings(_ url: DatabaseURL, _ sql: String) async throws -> [String] {
        try await Database.withConnection(url, logger: TestDatabase.logger) { connection in
            var values: [String] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(String?.self) {
                values.append(value ?? "")
            }
            return values
        }
    }

    static func waitUntil(_ url: DatabaseURL, _ sql: String, equals expected: Int, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await strings(url, "SELECT (\(sql))::text").first ?? ""
            if last == String(expected) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("\(sql) stayed \(last), expected \(expected)")
    }
}
