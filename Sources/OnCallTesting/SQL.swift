import Logging
public import OnCallCore
import OnCallStore
import PostgresNIO

/// Small SQL reads for tests that check what landed in the database.
public enum SQL {
    /// The first column of every row, as text (null as "").
    public static func strings(_ url: DatabaseURL, _ sql: String) async throws -> [String] {
        try await Database.withConnection(url, logger: TestDatabase.logger) { connection in
            var values: [String] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(String?.self) {
                values.append(value ?? "")
            }
            return values
        }
    }

    /// Polls `sql` (a single integer) until it equals `expected`.
    public static func waitUntil(_ url: DatabaseURL, _ sql: String, equals expected: Int, timeout: Duration = .seconds(20)) async throws {
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
