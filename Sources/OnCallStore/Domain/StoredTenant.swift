public import OnCallCore

/// A tenant's set-up as the database holds it, with what only the database knows about its integrations.
public struct StoredTenant: Sendable, Equatable {
    public var configuration: TenantConfiguration
    public var integrations: [IntegrationRecord]
    /// Technicians created by their first Hub login rather than by a file or the API.
    public var provisioned: Set<String>

    public init(configuration: TenantConfiguration, integrations: [IntegrationRecord], provisioned: Set<String> = []) {
        self.configuration = configuration
        self.integrations = integrations
        self.provisioned = provisioned
    }

    /// What a configuration file for this tenant should become when applied: the file, plus the technicians
    /// provisioned by a Hub login that the file does not list. A file written before someone joined must not
    /// remove them; listing them in the file sets their details; removing them is an API call.
    public func keepingProvisioned(_ file: TenantConfiguration) -> TenantConfiguration {
        var result = file
        let listed = Set(file.technicians.map(\.id))
        result.technicians += configuration.technicians.filter { provisioned.contains($0.id) && !listed.contains($0.id) }
        return result
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
