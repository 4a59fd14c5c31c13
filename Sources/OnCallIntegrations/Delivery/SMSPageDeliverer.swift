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
        return await send(to: page.contact_method.address, text: Self.text(page), key: delivery.idempotencyKey)
    }

    /// Pages held back by the storm throttle, as one text: how many, each headline as far as they fit, and the
    /// link of the most severe (the others are acknowledged in the app).
    public func deliverBundle(_ deliveries: [Delivery]) async -> DeliveryResult? {
        let pages = deliveries.compactMap(PagePayload.decode)
        guard let first = pages.first, pages.count == deliveries.count else { return .failed(error: "a bundled page payload is not a page") }
        return await send(to: first.contact_method.address, text: Self.bundleText(pages), key: deliveries.map(\.idempotencyKey).joined(separator: ","))
    }

    static let severityOrder = ["critical", "high", "medium", "low", "info"]

    static func bundleText(_ pages: [PagePayload]) -> String {
        let ordered = pages.sorted { (severityOrder.firstIndex(of: $0.severity) ?? 9, $0.number) < (severityOrder.firstIndex(of: $1.severity) ?? 9, $1.number) }
        let top = ordered[0]
        let tail = top.acknowledge_url.map { " Ack #\(top.number): \($0)" } ?? ""
        var text = "\(pages.count) incidents (\(top.tenant_id)):"
        for page in ordered {
            let item = " \(page.headline);"
            if text.count + item.count + tail.count > maximumLength { break }
            text += item
        }
        if text.hasSuffix(":") { text += " " + String(top.headline.prefix(max(0, maximumLength - text.count - tail.count - 2))) + "…" }
        return text + tail
    }

    func send(to number: String, text: String, key: String) async -> DeliveryResult {
        var request = HTTPClientRequest(url: "\(gateway.url)/2010-04-01/Accounts/\(Self.formEncode(gateway.accountSID))/Messages.json")
        request.method = .POST
        let credentials = Data("\(gateway.accountSID):\(gateway.authToken.value)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Idempotency-Key", value: key)
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        let form = [("To", number), ("From", gateway.from), ("Body", text)]
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
