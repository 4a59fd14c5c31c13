public import OnCallIntegrations

extension HubTokenVerifier: HubTokenVerifying {
    public func identity(for token: String) async throws -> HubIdentity {
        do {
            let claims = try await verify(token)
            return HubIdentity(subject: claims.subject, tenantID: claims.tenantID, role: claims.role, email: claims.email, name: claims.name)
        } catch {
            throw TokenRefusal("token refused: \(error.message)", unavailable: error.code == .jwksUnavailable)
        }
    }
}
