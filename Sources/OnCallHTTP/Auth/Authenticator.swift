import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
public import OnCallStore
import Synchronization

/// Turns a request's credentials into a ``Principal`` and checks permissions.
///
/// `Authorization: Bearer <Hub JWT>`: the token's tenant, its Hub role mapped to an On-Call role, and the
/// technician it provisions on first login. `Authorization: Bearer <OPS_API_KEY>` with `X-Tenant-Id`: the
/// operator, owner rights on that tenant (ops staff unsticking workflows; recorded as `ops`, or as the technician
/// named in `X-Technician-Id`).
public final class Authenticator: Sendable {
    let opsKey: Secret?
    let verifier: (any HubTokenVerifying)?
    let accounts: HubAccounts?
    let clock: @Sendable () -> Timestamp
    /// (tenant, Hub user) → technician id and the UTC day they were last marked active: one database write per
    /// user and day, not per request.
    private let known = Mutex<[String: (technician: String, day: Int64)]>([:])

    /// Notes Hub SSO's health (a token verified; the JWKS unreachable).
    let health: IntegrationHealth?

    public init(
        opsKey: Secret?, verifier: (any HubTokenVerifying)?, accounts: HubAccounts?, health: IntegrationHealth? = nil, clock: @escaping @Sendable () -> Timestamp
    ) {
        self.opsKey = opsKey
        self.health = health
        self.verifier = verifier
        self.accounts = accounts
        self.clock = clock
    }

    /// Whether an operator key is configured (without one, `/metrics` is open: scrape it from the inside only).
    public var requiresOperatorKey: Bool { opsKey != nil }

    /// Whether the request carries the operator key itself (`/metrics`, the `/ops` page: no tenant needed).
    public func isOperator(_ request: Request) -> Bool {
        guard let opsKey else { return false }
        let header = request.headers[.authorization] ?? ""
        if header.hasPrefix("Bearer ") { return ConstantTime.equals(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), opsKey.value) }
        // The /ops page in a browser: Basic with any user name and the key as the password.
        if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            return ConstantTime.equals(String(text[text.index(after: colon)...]), opsKey.value)
        }
        return false
    }

    /// The caller, if allowed `permission`; otherwise 401 (who are you?) or 403 (not allowed).
    public func require(_ permission: Permission, _ request: Request) async throws -> Principal {
        let principal = try await authenticate(request)
        guard principal.role.allows(permission) else {
            throw APIError(.forbidden, message: "the \(principal.role.rawValue) role may not do this (needs \(permission.minimumRole.rawValue))")
        }
        return principal
    }

    public func authenticate(_ request: Request) async throws -> Principal {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), case let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), !token.isEmpty else {
            throw APIError(.unauthorized, message: "send a Hub token as Authorization: Bearer <token>", headers: [.wwwAuthenticate: "Bearer"])
        }
        if let opsKey, ConstantTime.equals(token, opsKey.value) {
            guard let tenant = request.headers[HTTPField.Name("X-Tenant-Id")!], !tenant.isEmpty else {
                throw APIError(.badRequest, message: "with the operator key, X-Tenant-Id names the tenant")
            }
            // An ops tool acting for a technician (a chat bot, a runbook) may say whom: the timeline records them.
            if let technician = request.headers[HTTPField.Name("X-Technician-Id")!], !technician.isEmpty {
                return Principal(tenantID: tenant, technicianID: technician, role: .owner, actor: "technician:\(technician)")
            }
            return Principal(tenantID: tenant, technicianID: nil, role: .owner, actor: "ops")
        }
        guard let verifier else {
            throw APIError(.unauthorized, message: "Hub SSO is not configured on this server (HUB_JWT_SECRET or HUB_JWKS_URL)", headers: [.wwwAuthenticate: "Bearer"])
        }
        let identity: HubIdentity
        do {
            identity = try await verifier.identity(for: token)
            health?.success("hub_sso")
        } catch let refusal as TokenRefusal {
            if refusal.unavailable {
                health?.failure("hub_sso", error: refusal.message)
                throw APIError(.serviceUnavailable, message: refusal.message)
            }
            throw APIError(.unauthorized, message: refusal.message, headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
        }
        guard ConfigurationValidator.isValidTenantID(identity.tenantID) else {
            throw APIError(.forbidden, message: "the token's tenant_id is not a tenant id On-Call can hold (lowercase letters, digits, dashes)")
        }
        guard let hubRole = HubRole(rawValue: identity.role) else {
            throw APIError(.forbidden, message: "unknown Hub role '\(identity.role)' (owner, admin or member)")
        }
        let technician = try await technicianID(for: identity, role: hubRole)
        return Principal(tenantID: identity.tenantID, technicianID: technician, role: OnCallRole(hub: hubRole), actor: "technician:\(technician)")
    }

    func technicianID(for identity: HubIdentity, role: HubRole) async throws -> String {
        let now = clock()
        let day = now.microseconds / 86_400_000_000
        let key = identity.tenantID + "\u{0}" + identity.subject
        if let cached = known.withLock({ $0[key] }), cached.day == day { return cached.technician }
        guard let accounts else { return identity.subject }
        let id = try await accounts.signIn(
            .init(tenantID: identity.tenantID, hubUserID: identity.subject, email: identity.email, name: identity.name, role: role), at: now
        )
        known.withLock { $0[key] = (id, day) }
        return id
    }
}
