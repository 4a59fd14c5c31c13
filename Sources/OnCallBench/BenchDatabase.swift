import Foundation
import Logging
import OnCallCore
import OnCallStore
import PostgresNIO

/// A database for one benchmark run, seeded in bulk with SQL (generate_series), not through the API.
struct BenchDatabase {
    let url: DatabaseURL
    let embedded: EmbeddedPostgres?
    let logger: Logger

    static func open(_ options: CommonOptions) async throws -> BenchDatabase {
        let logger = options.logger
        if let text = options.databaseURL {
            let url = try DatabaseURL(parsing: text, variable: "--database-url")
            return BenchDatabase(url: url, embedded: nil, logger: logger)
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oncall-bench-\(UUID().uuidString.prefix(8))").path
        let embedded = try EmbeddedPostgres(rootDirectory: root, logger: logger)
        let started = try embedded.start()
        try await Database.createDatabaseIfMissing(started.url, logger: logger)
        return BenchDatabase(url: started.url, embedded: embedded, logger: logger)
    }

    func close() {
        embedded?.stop()
        if let embedded { try? FileManager.default.removeItem(atPath: embedded.root) }
    }

    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Database.withConnection(url, logger: logger, body)
    }

    func execute(_ sql: String) async throws {
        _ = try await withConnection { try await $0.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }

    func int(_ sql: String) async throws -> Int {
        try await withConnection { connection in
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int?.self) { return value ?? 0 }
            return 0
        }
    }

    func doubles(_ sql: String) async throws -> [Double] {
        try await withConnection { connection in
            var values: [Double] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Double.self) { values.append(value) }
            return values
        }
    }

    func migrate() async throws {
        let client = Database.makeClient(url, logger: logger, maximumConnections: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            _ = try await MigrationRunner.bundled().apply(client: client, logger: logger)
            group.cancelAll()
        }
    }

    /// A tenant `bench`, one technician (no contact method: pages are recorded, nothing is sent), a two-layer
    /// policy with long delays, and service `svc`.
    func seedDomain() async throws {
        for statement in [
            "INSERT INTO tenants (id, name) VALUES ('bench', 'Bench')",
            "INSERT INTO technicians (tenant_id, id, name) VALUES ('bench', 'tech', 'Tech')",
            "INSERT INTO escalation_policies (tenant_id, id, name, repeat_count) VALUES ('bench', 'pol', 'Policy', 0)",
            "INSERT INTO escalation_layers (tenant_id, policy_id, position, delay_seconds) VALUES ('bench', 'pol', 1, 7200), ('bench', 'pol', 2, 7200)",
            "INSERT INTO escalation_targets (tenant_id, policy_id, position, target_type, target_id) VALUES ('bench', 'pol', 1, 'technician', 'tech'), ('bench', 'pol', 2, 'technician', 'tech')",
            "INSERT INTO services (tenant_id, id, name, escalation_policy_id, workflow) VALUES ('bench', 'svc', 'Service', 'pol', 'incident')",
        ] {
            try await execute(statement)
        }
    }

    /// `count` open incidents escalating at layer 1. Each has a `layer_timeout` timer due at the time `dueSQL`
    /// computes for row `g` (an SQL expression giving microseconds since 1970), or no timer when `dueSQL` is nil.
    func seedIncidents(count: Int, state: String = "escalating", dueSQL: String?) async throws {
        let timers = dueSQL.map { "jsonb_build_object('layer_timeout', jsonb_build_object('generation', 1, 'dueAt', jsonb_build_object('microseconds', (\($0)))))" } ?? "'{}'::jsonb"
        try await execute("""
            INSERT INTO incidents (tenant_id, id, number, service_id, workflow, title, severity, state, is_open, version, snapshot, created_at, updated_at)
            SELECT 'bench', gen_random_uuid(), g, 'svc', 'incident', 'bench incident ' || g, 'high', '\(state)', true, 1,
                   jsonb_build_object('state', '\(state)', 'sequence', 1, 'severity', 'high', 'layer', 1, 'layerCovered', true, 'round', 0,
                                      'exhausted', false, 'alertCount', 1,
                                      'lastAlertAt', jsonb_build_object('microseconds', (extract(epoch from now()) * 1000000)::bigint),
                                      'timers', \(timers)),
                   now(), now()
            FROM generate_series(1, \(count)) AS g
            """)
        try await execute("INSERT INTO incident_counters (tenant_id, last_number) VALUES ('bench', \(count)) ON CONFLICT (tenant_id) DO UPDATE SET last_number = \(count)")
        if dueSQL != nil {
            try await execute("""
                INSERT INTO incident_timers (tenant_id, incident_id, name, generation, due_at)
                SELECT tenant_id, id, 'layer_timeout', 1, to_timestamp(((snapshot->'timers'->'layer_timeout'->'dueAt'->>'microseconds')::bigint) / 1000000.0)
                FROM incidents WHERE tenant_id = 'bench'
                """)
        }
        try await execute("ANALYZE")
    }
}
