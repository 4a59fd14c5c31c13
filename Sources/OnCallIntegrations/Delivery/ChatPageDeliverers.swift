public import AsyncHTTPClient
import Foundation
public import OnCallCore
import NIOCore
import NIOHTTP1

/// The fields of a page payload (`OutboxPlanner`) that every channel shows.
struct PagePayload: Decodable {
    struct Method: Decodable {
        var type: String
        var address: String
    }
    struct Person: Decodable {
        var id: String
        var name: String
    }
    var incident_id: String
    var number: Int
    var tenant_id: String
    var title: String
    var severity: String
    var service_id: String
    var state: String
    var layer: Int?
    var technician: Person
    var contact_method: Method
    var url: String?
    var acknowledge_url: String?

    static func decode(_ delivery: Delivery) -> PagePayload? {
        try? JSONDecoder().decode(PagePayload.self, from: Data(delivery.payload.utf8))
    }

    /// One line for a phone's lock screen or a chat notification.
    var headline: String { "[\(severity.uppercased())] #\(number) \(title)" }

    var context: String { "\(tenant_id) · \(service_id)" + (layer.map { " · layer \($0)" } ?? "") + " · paging \(technician.name)" }
}

extension HTTPDelivery {
    /// POSTs JSON to a channel's incoming-webhook URL, with the row's `Idempotency-Key`.
    static func postJSON(_ url: String, body: JSONValue, delivery: Delivery, client: HTTPClient, timeout: TimeAmount) async -> DeliveryResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: delivery.idempotencyKey)
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        request.body = .bytes(ByteBuffer(string: body.text))
        return await send(request, client: client, timeout: timeout)
    }

    static func amount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

}

/// A peer of the stack called with its service key (the PSA, Hub Billing): the base URL, the key, the HTTP
/// client and the timeout, and requests carrying them with an `Idempotency-Key`.
struct ServicePeerClient: Sendable {
    let baseURL: String
    let serviceKey: Secret
    let client: HTTPClient
    let timeout: TimeAmount

    init(_ peer: OnCallConfiguration.ServicePeer, client: HTTPClient, timeout: Duration) {
        baseURL = peer.url.hasSuffix("/") ? String(peer.url.dropLast()) : peer.url
        serviceKey = peer.serviceKey
        self.client = client
        self.timeout = HTTPDelivery.amount(timeout)
    }

    func request(_ method: HTTPMethod, _ path: String, body: JSONValue, idempotencyKey: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Service-Key", value: serviceKey.value)
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        request.body = .bytes(ByteBuffer(string: body.text))
        return request
    }
}

/// Pages through a chat's incoming webhook (the contact method's `url`): Slack gets a message, Teams an
/// Adaptive Card, each with the incident and an **Acknowledge** button that opens the page's one-click link.
/// A 429 with `Retry-After` (Slack's rate limit) is honoured.
public struct ChatPageDeliverer: OutboxDeliverer {
    public enum Chat: Sendable {
        case slack, teams
    }

    let chat: Chat
    let client: HTTPClient
    let timeout: TimeAmount

    public init(_ chat: Chat, client: HTTPClient = HTTPDelivery.client, timeout: Duration = .seconds(10)) {
        self.chat = chat
        self.client = client
        self.timeout = HTTPDelivery.amount(timeout)
    }

    public func deliver(_ delivery: Delivery) async -> DeliveryResult {
        guard let page = PagePayload.decode(delivery) else { return .failed(error: "page payload is not a page") }
        let message = chat == .slack ? SlackMessage.message(page) : TeamsMessage.message(page)
        return await HTTPDelivery.postJSON(page.contact_method.address, body: message, delivery: delivery, client: client, timeout: timeout)
    }
}

/// A Slack message: the headline, a section with the incident's context, Acknowledge and Open buttons.
enum SlackMessage {
    static func message(_ page: PagePayload) -> JSONValue {
        var blocks: [JSONValue] = [
            .object(["type": .string("section"), "text": .object(["type": .string("mrkdwn"), "text": .string("*\(escape(page.headline))*\n\(escape(page.context))")])]),
        ]
        var buttons: [JSONValue] = []
        if let ack = page.acknowledge_url {
            buttons.append(.object(["type": .string("button"), "style": .string("danger"), "url": .string(ack),
                                    "text": .object(["type": .string("plain_text"), "text": .string("Acknowledge")])]))
        }
        if let url = page.url {
            buttons.append(.object(["type": .string("button"), "url": .string(url), "text": .object(["type": .string("plain_text"), "text": .string("Open")])]))
        }
        if !buttons.isEmpty { blocks.append(.object(["type": .string("actions"), "elements": .array(buttons)])) }
        return .object(["text": .string(page.headline), "blocks": .array(blocks)])
    }

    /// Slack's mrkdwn control characters.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// A Microsoft Teams Adaptive Card (1.4) with the same lines and Acknowledge / Open actions.
enum TeamsMessage {
    static func message(_ page: PagePayload) -> JSONValue {
        var actions: [JSONValue] = []
        if let ack = page.acknowledge_url {
            actions.append(.object(["type": .string("Action.OpenUrl"), "title": .string("Acknowledge"), "url": .string(ack), "style": .string("destructive")]))
        }
        if let url = page.url { actions.append(.object(["type": .string("Action.OpenUrl"), "title": .string("Open"), "url": .string(url)])) }
        let card: JSONValue = .object([
            "$schema": .string("http://adaptivecards.io/schemas/adaptive-card.json"), "type": .string("AdaptiveCard"), "version": .string("1.4"),
            "body": .array([
                .object(["type": .string("TextBlock"), "text": .string(page.headline), "weight": .string("Bolder"), "size": .string("Medium"), "wrap": .bool(true),
                         "color": .string(page.severity == "critical" || page.severity == "high" ? "Attention" : "Default")]),
                .object(["type": .string("TextBlock"), "text": .string(page.context), "isSubtle": .bool(true), "wrap": .bool(true)]),
            ]),
            "actions": .array(actions),
        ])
        return .object([
            "type": .string("message"),
            "attachments": .array([.object(["contentType": .string("application/vnd.microsoft.card.adaptive"), "content": card])]),
        ])
    }
}
