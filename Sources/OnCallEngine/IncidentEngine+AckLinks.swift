public import Foundation
public import OnCallCore
public import OnCallStore

extension IncidentEngine {
    /// What following an acknowledge link did.
    public enum AckLinkOutcome: Sendable, Equatable {
        /// Not a link of this cluster, altered, or expired.
        case refused(AckLinks.Refusal)
        /// The link was followed before; the incident as it is now.
        case alreadyUsed(IncidentRecord?)
        /// The acknowledgement, as the technician the link was made for.
        case acted(IncidentCommandResult)
    }

    /// The signer and checker of this cluster's acknowledge links.
    public var ackLinks: AckLinks { core.planner.ackLinks }

    /// The incident a link is for, without using it (the page that asks to confirm).
    public func inspectAckLink(_ token: String) async throws -> Result<(AckLinks.Claims, IncidentRecord?), AckLinks.Refusal> {
        switch ackLinks.verify(token, now: core.clock()) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let claims): return .success((claims, try await incident(id: claims.incidentID, tenantID: claims.tenantID)))
        }
    }

    /// Acknowledges the link's incident as its technician, once: a second use changes nothing.
    public func followAckLink(_ token: String) async throws -> AckLinkOutcome {
        let claims: AckLinks.Claims
        switch ackLinks.verify(token, now: core.clock()) {
        case .failure(let refusal): return .refused(refusal)
        case .success(let verified): claims = verified
        }
        guard try await AckLinks.use(token, claims: claims, client: client, logger: logger) else {
            return .alreadyUsed(try await incident(id: claims.incidentID, tenantID: claims.tenantID))
        }
        let event = IncidentEvent(.acknowledge, by: "technician:\(claims.technicianID)")
        return .acted(try await act(event, on: claims.incidentID, tenantID: claims.tenantID))
    }
}
