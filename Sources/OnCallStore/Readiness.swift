public import Logging
public import PostgresNIO

/// Whether this node can take traffic: the database answers and the schema is this build's.
public struct Readiness: Sendable, Equatable {
    public var ready: Bool
    /// Why not, in words an operator can act on; nil when ready.
    public var reason: String?
    public var migrations: MigrationRunner.Status?

    public init(ready: Bool, reason: String?, migrations: MigrationRunner.Status? = nil) {
        self.ready = ready
        self.reason = reason
        self.migrations = migrations
    }

    /// Checks the database within `timeout` (PostgresNIO waits for a connection indefinitely by itself).
    public static func check(client: PostgresClient, runner: MigrationRunner, timeout: Duration = .seconds(2), logger: Logger) async -> Readiness {
        let outcome: Result<MigrationRunner.Status, any Error>? = await withTaskGroup(of: Result<MigrationRunner.Status, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await runner.status(client: client, logger: logger)) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch outcome {
        case nil:
            return Readiness(ready: false, reason: "database did not answer within \(timeout)")
        case .failure(let error):
            return Readiness(ready: false, reason: "database unreachable: \(Self.describe(error))")
        case .success(let status):
            if !status.pending.isEmpty {
                return Readiness(ready: false, reason: "migrations not applied: \(status.pending.map(String.init).joined(separator: ", "))", migrations: status)
            }
            if !status.changed.isEmpty {
                return Readiness(ready: false, reason: "applied migrations differ from this build: \(status.changed.map(String.init).joined(separator: ", "))", migrations: status)
            }
            return Readiness(ready: true, reason: nil, migrations: status)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}
