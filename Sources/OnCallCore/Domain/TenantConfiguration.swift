/// Everything one tenant has set up: who is on call, how they are paged, and where alerts land.
///
/// The same value is read from a configuration file (`oncall apply`), built from the database, and edited
/// piecewise through the admin API. Ids are unique within the tenant (the file's ids, or generated ones).
public struct TenantConfiguration: Sendable, Equatable {
    public var id: String
    public var name: String
    public var routes: Routes
    public var settings: TenantSettings
    public var technicians: [Technician]
    public var schedules: [Schedule]
    public var escalationPolicies: [EscalationPolicy]
    public var services: [Service]
    public var integrations: [Integration]

    public init(
        id: String, name: String, routes: Routes = Routes(), technicians: [Technician] = [], schedules: [Schedule] = [],
        escalationPolicies: [EscalationPolicy] = [], services: [Service] = [], integrations: [Integration] = [],
        settings: TenantSettings = TenantSettings()
    ) {
        self.id = id
        self.name = name
        self.routes = routes
        self.settings = settings
        self.technicians = technicians
        self.schedules = schedules
        self.escalationPolicies = escalationPolicies
        self.services = services
        self.integrations = integrations
    }
}

/// Which service receives the alerts of each product of The One Stack (none: that product's alerts are refused).
public struct Routes: Sendable, Equatable {
    public enum Source: String, Sendable, CaseIterable, Codable {
        case defend, rmm, security, backups
    }

    public var services: [Source: String]

    public init(_ services: [Source: String] = [:]) {
        self.services = services
    }

    public subscript(source: Source) -> String? {
        get { services[source] }
        set { services[source] = newValue }
    }
}

/// Tenant-wide choices.
public struct TenantSettings: Sendable, Equatable {
    /// RMM device alerts open incidents from this severity up (`rmm_min_severity`, default critical).
    public var rmmMinimumSeverity: Severity

    public init(rmmMinimumSeverity: Severity = .critical) {
        self.rmmMinimumSeverity = rmmMinimumSeverity
    }
}

/// The configuration file: format version 1, one or more tenants.
public struct ConfigurationDocument: Sendable, Equatable {
    public var version: Int
    public var tenants: [TenantConfiguration]

    public init(version: Int = 1, tenants: [TenantConfiguration]) {
        self.version = version
        self.tenants = tenants
    }
}
