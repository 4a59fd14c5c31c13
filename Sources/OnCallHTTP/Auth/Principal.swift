public import OnCallCore

/// Who is calling, for which tenant, with which role.
public struct Principal: Sendable, Equatable {
    public var tenantID: String
    /// The technician the Hub user is (nil for the operator key).
    public var technicianID: String?
    public var role: OnCallRole
    /// How the timeline names them: `technician:alice`, or `ops`.
    public var actor: String

    public init(tenantID: String, technicianID: String?, role: OnCallRole, actor: String) {
        self.tenantID = tenantID
        self.technicianID = technicianID
        self.role = role
        self.actor = actor
    }
}

/// What a verified Hub token says about its bearer.
public struct HubIdentity: Sendable, Equatable {
    public var subject: String
    public var tenantID: String
    public var role: String
    public var email: String?
    public var name: String?

    public init(subject: String, tenantID: String, role: String, email: String?, name: String?) {
        self.subject = subject
        self.tenantID = tenantID
        self.role = role
        self.email = email
        self.name = name
    }
}

/// Checks a Hub-issued token. Throws ``TokenRefusal`` (401, or 503 when the Hub's keys cannot be fetched).
public protocol HubTokenVerifying: Sendable {
    func identity(for token: String) async throws -> HubIdentity
}

/// Why a token was refused, in words that never contain the token.
public struct TokenRefusal: Error, Sendable {
    public var message: String
    /// The Hub's keys could not be fetched: not the caller's fault (503).
    public var unavailable: Bool

    public init(_ message: String, unavailable: Bool = false) {
        self.message = message
        self.unavailable = unavailable
    }
}
