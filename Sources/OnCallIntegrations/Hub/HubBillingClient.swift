public import AsyncHTTPClient
import Foundation
public import OnCallCore
import NIOCore
import NIOHTTP1

/// Sends a tenant's daily active technician count to Hub Billing (docs/hub.md): `POST {HUB_API_URL}/billing/usage`
/// with `X-Service-Key` and `Idempotency-Key: oncall:billing:<tenant>:<day>`, so a report sent twice counts once.
public struct HubBillingClient: Sendable {
    let baseURL: String
    let serviceKey: Secret
    let client: HTTPClient
    let timeout: TimeAmount

    public init(peer: OnCallConfiguration.ServicePeer, client: HTTPClient = HTTPDelivery.client, timeout: Duration = .seconds(10)) {
        baseURL = HTTPDelivery.base(peer)
        serviceKey = peer.serviceKey
        self.client = client
        self.timeout = HTTPDelivery.amount(timeout)
    }

    public static func idempotencyKey(tenantID: String, day: String) -> String { "oncall:billing:\(tenantID):\(day)" }

    public func report(tenantID: String, day: String, activeTechnicians: Int) async -> DeliveryResult {
        var request = HTTPClientRequest(url: baseURL + "/billing/usage")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Service-Key", value: serviceKey.value)
        request.headers.add(name: "Idempotency-Key", value: Self.idempotencyKey(tenantID: tenantID, day: day))
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        let body: [String: JSONValue] = [
            "product": .string("oncall"), "metric": .string("active_technicians"), "tenant_id": .string(tenantID), "date": .string(day),
            "quantity": .int(activeTechnicians),
        ]
        request.body = .bytes(ByteBuffer(string: JSONValue.object(body).text))
        return await HTTPDelivery.send(request, client: client, timeout: timeout)
    }
}
