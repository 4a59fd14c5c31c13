public import AsyncHTTPClient
import Foundation
public import OnCallCore
import NIOCore
import NIOHTTP1

/// Pages through an `sms` contact method with a Twilio-compatible API: `POST {SMS_API_URL}/2010-04-01/Accounts/
/// {SMS_ACCOUNT_SID}/Messages.json`, HTTP Basic with the account SID and `SMS_AUTH_TOKEN`, a form with `To`
/// (the method's number), `From` (`SMS_FROM`) and `Body`: `[SEVERITY] #number title (tenant) Ack: <link>`, at most
/// 320 characters (two segments; the title is shortened, never the link).
///
/// Twilio does not deduplicate on a key: a node that dies after Twilio accepted a message but before recording
/// it sends that SMS again after the restart (at least once; the other channels are deduplicated by receivers).
public struct SMSPageDeliverer: OutboxDeliverer {
    public static let maximumLength = 320

    let gateway: OnCallConfiguration.SMSGateway
    let client: HTTPClient
    let timeout: TimeAmount

    public init(gateway: OnCallConfiguration.SMSGateway, client: HTTPClient = HTTPDelivery.client, timeout: Duration = .seconds(10)) {
        self.gateway = gateway
        self.client = client
        self.timeout = HTTPDelivery.amount(timeout)
    }

    public func deliver(_ delivery: Delivery) async -> DeliveryResult {
        guard let page = PagePayload.decode(delivery) else { return .failed(error: "page payload is not a page") }
        var request = HTTPClientRequest(url: "\(gateway.url)/2010-04-01/Accounts/\(Self.formEncode(gateway.accountSID))/Messages.json")
        request.method = .POST
        let credentials = Data("\(gateway.accountSID):\(gateway.authToken.value)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Idempotency-Key", value: delivery.idempotencyKey)
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        let form = [("To", page.contact_method.address), ("From", gateway.from), ("Body", Self.text(page))]
            .map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))
        return await HTTPDelivery.send(request, client: client, timeout: timeout)
    }

    /// The message: the headline shortened to fit, then the tenant and the link.
    static func text(_ page: PagePayload) -> String {
        let tail = " (\(page.tenant_id))" + (page.acknowledge_url.map { " Ack: \($0)" } ?? "")
        var headline = page.headline
        let room = maximumLength - tail.count
        if headline.count > room { headline = String(headline.prefix(max(0, room - 1))) + "…" }
        return headline + tail
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
