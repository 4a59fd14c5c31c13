public import OnCallCore

/// A tenant's set-up as the database holds it, with what only the database knows about its integrations.
public struct StoredTenant: Sendable, Equatable {
    public var configuration: TenantConfiguration
    public var integrations: [IntegrationRecord]

    public init(configuration: TenantConfiguration, integrations: [IntegrationRecord]) {
        self.configuration = configuration
        self.integrations = integrations
    }

    public func integration(_ id: String) -> IntegrationRecord? { integrations.first { $0.integration.id == id } }
}

/// An integration with its webhook id and key metadata (never the key: only its hash is stored).
public struct IntegrationRecord: Sendable, Equatable {
    public var tenantID: String
    public var integration: Integration
    /// The unguessable id in the webhook URL, unique across tenants.
    public var webhookID: String
    /// The key's last four characters.
    public var keyHint: String
    public var createdAt: Timestamp
    public var keyRotatedAt: Timestamp

    public init(tenantID: String, integration: Integration, webhookID: String, keyHint: String, createdAt: Timestamp, keyRotatedAt: Timestamp) {
        self.tenantID = tenantID
        self.integration = integration
        self.webhookID = webhookID
        self.keyHint = keyHint
        self.createdAt = createdAt
        self.keyRotatedAt = keyRotatedAt
    }
}
