import Foundation
public import OnCallCore
import PostgresNIO

extension DomainStore {
    /// The integration whose webhook URL carries `webhookID`, when `key` is its current key; nil otherwise (no
    /// difference between an unknown id and a wrong key). A rotated key fails from the commit of the rotation on.
    public func authenticate(webhookID: String, key: String) async throws -> IntegrationRecord? {
        guard let (record, hash) = try await integration(webhookID: webhookID) else {
            // Unknown id: hash anyway so both refusals take about as long.
            _ = IntegrationKeys.matches(key, hash: [])
            return nil
        }
        return IntegrationKeys.matches(key, hash: hash) ? record : nil
    }

    /// The integration whose webhook URL carries `webhookID`, with the SHA-256 of its current key.
    public func integration(webhookID: String) async throws -> (IntegrationRecord, keyHash: [UInt8])? {
        let rows = try await client.query(
            """
            SELECT tenant_id, id, type, service_id, key_sha256, key_hint, created_at, key_rotated_at, options::text
            FROM integrations WHERE webhook_id = \(webhookID)
            """,
            logger: logger
        )
        for try await (tenant, id, type, service, hash, hint, created, rotated, options)
            in rows.decode((String, String, String, String?, ByteBuffer, String, Date, Date, String).self) {
            let integration = StoredIntegrationOptions.integration(id: id, type: type, service: service, options: options)
            let record = IntegrationRecord(
                tenantID: tenant, integration: integration,
                webhookID: webhookID, keyHint: hint, createdAt: Timestamp(created), keyRotatedAt: Timestamp(rotated)
            )
            return (record, Array(buffer: hash))
        }
        return nil
    }

    /// The tenant's integration of type `bridge` whose current key is `key` (Bridge and Search APIs).
    public func authenticateBridge(tenantID: String, key: String) async throws -> IntegrationRecord? {
        let hash = ByteBuffer(bytes: IntegrationKeys.hash(key))
        let rows = try await client.query(
            """
            SELECT id, webhook_id, key_hint, created_at, key_rotated_at FROM integrations
            WHERE tenant_id = \(tenantID) AND type = 'bridge' AND key_sha256 = \(hash)
            """,
            logger: logger
        )
        for try await (id, webhook, hint, created, rotated) in rows.decode((String, String, String, Date, Date).self) {
            return IntegrationRecord(
                tenantID: tenantID, integration: Integration(id: id, type: .bridge, service: nil), webhookID: webhook, keyHint: hint,
                createdAt: Timestamp(created), keyRotatedAt: Timestamp(rotated)
            )
        }
        return nil
    }
}

extension DomainStore {
    /// The service that receives a stack product's alerts for a tenant (nil: no route, or no such tenant).
    public func route(tenantID: String, source: Routes.Source) async throws -> String? {
        for try await service in try await client.query(
            "SELECT service_id FROM routes WHERE tenant_id = \(tenantID) AND source = \(source.rawValue)", logger: logger
        ).decode(String.self) {
            return service
        }
        return nil
    }
}

extension DomainStore {
    /// RMM alerts open incidents from this severity up, for this tenant (critical when it does not say).
    public func rmmThreshold(tenantID: String) async throws -> Severity {
        for try await text in try await client.query(
            "SELECT settings->>'rmm_min_severity' FROM tenants WHERE id = \(tenantID)", logger: logger
        ).decode(String?.self) {
            return text.flatMap(Severity.init(rawValue:)) ?? .critical
        }
        return .critical
    }
}
