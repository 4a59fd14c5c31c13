import Logging
import OnCallCore
import OnCallStore

/// The database this process uses: `DATABASE_URL`, or the embedded cluster started (and later stopped) here.
struct DatabaseSession {
    let url: DatabaseURL
    let embedded: EmbeddedPostgres?

    /// Resolves the database, starting the embedded cluster when needed, and prints which one is in use.
    static func open(_ configuration: OnCallConfiguration, logger: Logger) async throws -> DatabaseSession {
        if let url = configuration.databaseURL {
            announce("database: \(url) (DATABASE_URL)")
            return DatabaseSession(url: url, embedded: nil)
        }
        let embedded = try EmbeddedPostgres(rootDirectory: configuration.dataDirectory, logger: logger)
        let started = try embedded.start()
        do {
            try await Database.createDatabaseIfMissing(started.url, logger: logger)
        } catch {
            embedded.stop()
            throw error
        }
        var line = "database: embedded PostgreSQL in \(started.clusterDirectory), socket \(started.url.endpoint.socketPath ?? "")"
        if let why = started.relocatedBecause { line += " (not under \(embedded.requestedRoot): \(why))" }
        if !started.owned { line += " (shared with the oncall process that started it)" }
        announce(line)
        return DatabaseSession(url: started.url, embedded: embedded)
    }

    func close() {
        embedded?.stop()
    }
}
