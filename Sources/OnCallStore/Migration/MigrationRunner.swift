public import Logging
public import PostgresNIO

/// Applies the bundled migrations in order, each in its own transaction, under an advisory lock so that
/// nodes starting together apply each migration exactly once.
public struct MigrationRunner: Sendable {
    /// `pg_advisory_lock` key: "oncallmg" as eight bytes.
    static let lockKey: Int64 = 0x6F6E_6361_6C6C_6D67

    public struct Report: Sendable {
        public var applied: [Migration] = []
        public var alreadyApplied = 0
    }

    /// Where the database stands against this build's migrations.
    public struct Status: Sendable, Equatable {
        public var appliedVersions: [Int]
        public var pending: [Int]
        /// Applied versions this build does not know (a newer node migrated the database).
        public var unknown: [Int]
        /// Applied versions whose file changed since.
        public var changed: [Int]
        public var isCurrent: Bool { pending.isEmpty && changed.isEmpty }
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    public static func bundled() throws -> MigrationRunner { MigrationRunner(migrations: try Migration.bundled()) }

    public func apply(client: PostgresClient, logger: Logger) async throws -> Report {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let report = try await applyLocked(connection: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return report
            } catch {
                // The lock dies with the session if this fails too.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyLocked(connection: PostgresConnection, logger: Logger) async throws -> Report {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        let applied = try await appliedChecksums(connection: connection, logger: logger)
        var report = Report()
        for migration in migrations {
            if let checksum = applied[migration.version] {
                if checksum != migration.checksum {
                    throw MigrationError(message: "migration \(migration.version)_\(migration.name) was changed after it was applied; add a new migration instead")
                }
                report.alreadyApplied += 1
                continue
            }
            try await connection.withTransaction(logger: logger) { tx in
                for statement in SQLScript.statements(in: migration.sql) {
                    do {
                        try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch let error as PSQLError {
                        let message = error.serverInfo?[.message] ?? "\(error)"
                        throw MigrationError(message: "migration \(migration.version)_\(migration.name) failed: \(message)\nin: \(statement.prefix(200))")
                    }
                }
                try await tx.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger
                )
            }
            logger.info("applied migration \(migration.version)_\(migration.name)")
            report.applied.append(migration)
        }
        return report
    }

    public func status(client: PostgresClient, logger: Logger) async throws -> Status {
        let exists = try await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        var tableExists = false
        for try await (flag) in exists.decode(Bool.self) { tableExists = flag }
        var applied: [Int: String] = [:]
        if tableExists {
            try await client.withConnection { applied = try await appliedChecksums(connection: $0, logger: logger) }
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0.checksum) })
        return Status(
            appliedVersions: applied.keys.sorted(),
            pending: migrations.map(\.version).filter { applied[$0] == nil },
            unknown: applied.keys.filter { known[$0] == nil }.sorted(),
            changed: migrations.filter { m in applied[m.version].map { $0 != m.checksum } ?? false }.map(\.version)
        )
    }

    private func appliedChecksums(connection: PostgresConnection, logger: Logger) async throws -> [Int: String] {
        var applied: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int32, String).self) { applied[Int(version)] = checksum }
        return applied
    }
}
