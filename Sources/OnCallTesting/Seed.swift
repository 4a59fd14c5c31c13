import Foundation
import Logging
public import OnCallCore
import OnCallStore
import PostgresNIO

/// Writes the minimal domain a test needs (tenant, technicians with webhook contact methods, a policy, a
/// service) straight into a test database, until the admin API and `oncall apply` exist.
public struct Seed: Sendable {
    public struct Layer: Sendable {
        public var delaySeconds: Int
        public var technicians: [String]
        public init(delaySeconds: Int, technicians: [String]) {
            self.delaySeconds = delaySeconds
            self.technicians = technicians
        }
    }

    public var tenant = "acme"
    /// Technician id → webhook URL.
    public var technicians: [String: String] = [:]
    public var layers: [Layer] = []
    public var repeatCount = 0
    public var service = "endpoints"
    public var workflow = "incident"
    public var ackTimeoutSeconds: Int?
    public var autoResolveSeconds: Int?

    public init() {}

    public func write(to url: DatabaseURL) async throws {
        let logger = TestDatabase.logger
        try await Database.withConnection(url, logger: logger) { connection in
            try await connection.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(tenant)) ON CONFLICT DO NOTHING", logger: logger)
            for (id, hook) in technicians.sorted(by: { $0.key < $1.key }) {
                try await connection.query("INSERT INTO technicians (tenant_id, id, name) VALUES (\(tenant), \(id), \(id.capitalized))", logger: logger)
                try await connection.query(
                    "INSERT INTO contact_methods (tenant_id, id, technician_id, type, address) VALUES (\(tenant), \(id + "-hook"), \(id), 'webhook', \(hook))",
                    logger: logger
                )
            }
            try await connection.query("INSERT INTO escalation_policies (tenant_id, id, name, repeat_count) VALUES (\(tenant), 'standard', 'Standard', \(repeatCount))", logger: logger)
            for (index, layer) in layers.enumerated() {
                try await connection.query(
                    "INSERT INTO escalation_layers (tenant_id, policy_id, position, delay_seconds) VALUES (\(tenant), 'standard', \(index + 1), \(layer.delaySeconds))",
                    logger: logger
                )
                for technician in layer.technicians {
                    try await connection.query(
                        "INSERT INTO escalation_targets (tenant_id, policy_id, position, target_type, target_id) VALUES (\(tenant), 'standard', \(index + 1), 'technician', \(technician))",
                        logger: logger
                    )
                }
            }
            try await connection.query(
                """
                INSERT INTO services (tenant_id, id, name, escalation_policy_id, workflow, ack_timeout_seconds, auto_resolve_seconds)
                VALUES (\(tenant), \(service), \(service), 'standard', \(workflow), \(ackTimeoutSeconds), \(autoResolveSeconds))
                """,
                logger: logger
            )
        }
    }
}
