public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// Tenants and their set-up: technicians, schedules, escalation policies, services, routes and integrations.
///
/// Every write goes through ``update(tenantID:dryRun:_:)``: lock the tenant, read its set-up, let the caller
/// say what it should become (a whole file for `oncall apply`, one object changed for the admin API), write
/// the difference, all in one transaction. A dry run does the same and rolls back.
public struct DomainStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// What an update did (or, in a dry run, would do).
    public struct UpdateReport: Sendable, Equatable {
        public var changes: [ConfigurationChange]
        /// Keys made for new integrations (or rotated): shown once, never stored.
        public var issuedKeys: [IssuedKey]
        /// The set-up after the update.
        public var tenant: StoredTenant?

        public var isEmpty: Bool { changes.isEmpty }
    }

    /// A key handed out once: for a new integration, or by a rotation.
    public struct IssuedKey: Sendable, Equatable {
        public var integrationID: String
        public var webhookID: String
        public var key: String
    }

    /// A write the database refused for a reason people can act on (an object still in use).
    public struct Conflict: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Every committed change to a tenant's set-up sends a notification on this channel with the tenant id:
    /// engines on every node drop their cached copy of it.
    public static let changeChannel = "oncall_tenants"

    struct DryRun: Error {
        let report: UpdateReport
    }

    /// Makes the tenant match what `desired` returns for its current set-up (nil: the tenant does not exist yet).
    /// `desired` runs inside the transaction, holding the tenant's lock; it may throw to change nothing.
    public func update(
        tenantID: String, dryRun: Bool = false, rotateKeys: Set<String> = [],
        _ desired: @Sendable (StoredTenant?) throws -> TenantConfiguration
    ) async throws -> UpdateReport {
        do {
            return try await client.withTransaction(logger: logger) { tx in
                // Serialise writers of one tenant (also a tenant that does not exist yet).
                try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(\("tenant:" + tenantID), 0))", logger: logger)
                let current = try await Self.load(tenantID: tenantID, on: tx, logger: logger)
                let target = try desired(current)
                var changes = ConfigurationDiff.changes(from: current?.configuration, to: target)
                let keyHashes = try await Self.keyHashes(tenantID: tenantID, on: tx, logger: logger)
                var newKeys: Set<String> = []
                for integration in target.integrations where current?.integration(integration.id) != nil {
                    let givenKeyDiffers = integration.key.map { IntegrationKeys.hash($0) != keyHashes[integration.id] } ?? false
                    guard givenKeyDiffers || rotateKeys.contains(integration.id) else { continue }
                    newKeys.insert(integration.id)
                    if let index = changes.firstIndex(where: { $0.kind == .integration && $0.id == integration.id }) {
                        changes[index].detail = "new key"
                    } else {
                        changes.append(.init(kind: .integration, id: integration.id, action: .update, detail: "new key"))
                    }
                }
                var report = UpdateReport(changes: changes, issuedKeys: [], tenant: nil)
                if !changes.isEmpty {
                    report.issuedKeys = try await Self.write(changes, target: target, current: current, newKeys: newKeys, on: tx, logger: logger)
                }
                report.tenant = try await Self.load(tenantID: tenantID, on: tx, logger: logger)
                if dryRun { throw DryRun(report: report) }
                if !changes.isEmpty {
                    try await tx.query("SELECT pg_notify(\(Self.changeChannel), \(tenantID))", logger: logger)
                }
                return report
            }
        } catch let error as PostgresTransactionError {
            if let dry = error.closureError as? DryRun {
                var report = dry.report
                report.issuedKeys = []
                return report
            }
            if let closure = error.closureError { throw Self.explain(closure) }
            throw error
        }
    }

    /// Foreign-key refusals in words: what is still in use.
    static func explain(_ error: any Error) -> any Error {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return error }
        let constraint = psql.serverInfo?[.constraintName] ?? ""
        let detail = psql.serverInfo?[.detail] ?? psql.serverInfo?[.message] ?? ""
        switch state {
        case "23503":
            if constraint.hasPrefix("incidents") { return Conflict(message: "a service with incidents cannot be deleted (\(detail))") }
            return Conflict(message: "still in use: \(detail)")
        case "23505":
            return Conflict(message: "already exists: \(detail)")
        default:
            return error
        }
    }

    static func keyHashes(tenantID: String, on tx: PostgresConnection, logger: Logger) async throws -> [String: [UInt8]] {
        var hashes: [String: [UInt8]] = [:]
        for try await (id, hash) in try await tx.query("SELECT id, key_sha256 FROM integrations WHERE tenant_id = \(tenantID)", logger: logger).decode((String, ByteBuffer).self) {
            hashes[id] = Array(buffer: hash)
        }
        return hashes
    }
}
