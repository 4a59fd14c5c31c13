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
