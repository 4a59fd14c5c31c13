public import Foundation
public import OnCallCore

/// What a verified Hub SSO token says about its bearer.
public struct HubClaims: Sendable, Equatable {
    /// `sub`: the Hub user id.
    public var subject: String
    /// `tenant_id`: the MSP tenant the user acts for.
    public var tenantID: String
    /// `role` as the Hub sent it (`owner`, `admin` or `member` today). The verifier checks only that it is present;
    /// see ``hubRole`` to interpret it — an unknown value must be refused (or given the least role) by the caller.
    public var role: String
    /// `email`, when the Hub sends it.
    public var email: String?
    /// `name`, when the Hub sends it.
    public var name: String?
    /// `exp`.
    public var expiresAt: Date

    public init(subject: String, tenantID: String, role: String, email: String? = nil, name: String? = nil, expiresAt: Date) {
        self.subject = subject
        self.tenantID = tenantID
        self.role = role
        self.email = email
        self.name = name
        self.expiresAt = expiresAt
    }

    /// ``role`` as a ``HubRole``; nil for a value this version does not know.
    public var hubRole: HubRole? { HubRole(rawValue: role) }
}
