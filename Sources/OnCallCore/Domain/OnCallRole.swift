/// What a caller may do in On-Call, from their Hub role (docs/security.md has the matrix).
public enum OnCallRole: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Acknowledge, resolve, note, escalate, snooze, and read everything but keys and billing.
    case responder
    /// Also services, schedules, escalation policies, technicians, routes, and integrations (without their keys).
    case manager
    /// Everything, including integration keys and billing.
    case owner

    public init(hub: HubRole) {
        switch hub {
        case .owner: self = .owner
        case .admin: self = .manager
        case .member: self = .responder
        }
    }

    /// The least role that holds each permission.
    public func allows(_ permission: Permission) -> Bool { self >= permission.minimumRole }

    public static func < (lhs: OnCallRole, rhs: OnCallRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The things a role may or may not do; each endpoint demands exactly one.
public enum Permission: String, Sendable, CaseIterable {
    /// Incidents with their timelines, who is on call, schedules, policies, services, technicians, integrations (never keys).
    case read
    /// Open an incident by hand, acknowledge, unacknowledge, resolve, note, escalate, snooze.
    case respond
    /// Create, change and delete technicians, schedules (and overrides), escalation policies, services, routes;
    /// change and delete integrations.
    case configure
    /// Create an integration (its key is shown once) and rotate integration keys.
    case manageKeys
    /// The daily active technicians the Hub bills for.
    case readBilling

    public var minimumRole: OnCallRole {
        switch self {
        case .read, .respond: .responder
        case .configure: .manager
        case .manageKeys, .readBilling: .owner
        }
    }
}
