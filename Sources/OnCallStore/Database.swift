public import Logging
public import OnCallCore
public import PostgresNIO

/// Connection plumbing shared by the server, the CLI commands and the tests.
public enum Database {
    /// The PostgresNIO client configuration for a parsed URL.
    public static func clientConfiguration(for url: DatabaseURL, maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch url.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS
            switch url.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            configuration = .init(host: host, port: port, username: url.username, password: url.password?.value, database: url.database, tls: tls)
        case .unixSocket:
            configuration = .init(unixSocketPath: url.endpoint.socketPath!, username: url.username, password: url.password?.value, database: url.database)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "oncall")]
        return configuration
    }

    public static func makeClient(_ url: DatabaseURL, logger: Logger, maximumConnections: Int = 20) -> PostgresClient {
        PostgresClient(configuration: clientConfiguration(for: url, maximumConnections: maximumConnections), backgroundLogger: logger)
    }

    /// Creates `url.database` when it does not exist, connecting to the `postgres` maintenance database.
    public static func createDatabaseIfMissing(_ url: DatabaseURL, logger: Logger) async throws {
        try await withMaintenanceConnection(url, logger: logger) { connection in
            let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(url.database)", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoteIdentifier(url.database))"), logger: logger)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P04" {
                    // Created by a concurrent start: fine.
                }
            }
        }
    }

    /// Runs `body` on a single connection to the server's `postgres` database.
    public static func withMaintenanceConnection<T: Sendable>(_ url: DatabaseURL, logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection(url.with(database: "postgres"), logger: logger, body)
    }

    /// Runs `body` on a single connection of its own (set-up, tests, benchmarks), closed afterwards.
    public static func withConnection<T: Sendable>(_ url: DatabaseURL, logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(for: url), id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public static func connectionConfiguration(for url: DatabaseURL) throws -> PostgresConnection.Configuration {
        switch url.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            switch url.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try .init(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try .init(configuration: .makeClientConfiguration()))
            }
            return .init(host: host, port: port, username: url.username, password: url.password?.value, database: url.database, tls: tls)
        case .unixSocket:
            return .init(unixSocketPath: url.endpoint.socketPath!, username: url.username, password: url.password?.value, database: url.database)
        }
    }

    /// Double-quotes an identifier for SQL built from trusted names (database names in tests and set-up).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
