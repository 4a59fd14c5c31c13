public import AsyncHTTPClient
import Foundation
public import OnCallCore
import NIOCore
import NIOHTTP1

/// Sends a tenant's daily active technician count to Hub Billing (docs/hub.md): `POST {HUB_API_URL}/billing/usage`
/// with `X-Service-Key` and `Idempotency-Key: oncall:billing:<tenant>:<day>`, so a report sent twice counts once.
public struct HubBillingClient: Sendable {
    let hub: ServicePeerClient

    public init(peer: OnCallConfiguration.ServicePeer, client: HTTPClient = HTTPDelivery.client, timeout: Duration = .seconds(10)) {
        hub = ServicePeerClient(peer, client: client, timeout: timeout)
    }

    public static func idempotencyKey(tenantID: String, day: String) -> String { "oncall:billing:\(tenantID):\(day)" }

    public func report(tenantID: String, day: String, activeTechnicians: Int) async -> DeliveryResult {
        let body: JSONValue = .object([
            "product": .string("oncall"), "metric": .string("active_technicians"), "tenant_id": .string(tenantID), "date": .string(day),
            "quantity": .int(activeTechnicians),
        ])
        let request = hub.request(.POST, "/billing/usage", body: body, idempotencyKey: Self.idempotencyKey(tenantID: tenantID, day: day))
        return await HTTPDelivery.send(request, client: hub.client, timeout: hub.timeout)
    }
}
