import Foundation
public import OnCallCore

/// Pages through an `email` contact method over SMTP (`SMTP_URL`, `SMTP_FROM`): subject
/// `[SEVERITY] #number title`, a plain-text body with the incident and the one-click link. A 4xx reply or a
/// network error is tried again; a 5xx reply is a dead letter. Storm bundles list every incident held back.
public struct EmailPageDeliverer: OutboxDeliverer {
    let client: SMTPClient
    let from: String

    public init(client: SMTPClient, from: String) {
        self.client = client
        self.from = from
    }

    public func deliver(_ delivery: Delivery) async -> DeliveryResult {
        guard let page = PagePayload.decode(delivery) else { return .failed(error: "page payload is not a page") }
        return await send(to: page.contact_method.address, subject: page.headline, text: Self.body([page]), id: delivery.idempotencyKey)
    }

    public func deliverBundle(_ deliveries: [Delivery]) async -> DeliveryResult? {
        let pages = deliveries.compactMap(PagePayload.decode)
        guard let first = pages.first, pages.count == deliveries.count else { return .failed(error: "a bundled page payload is not a page") }
        return await send(to: first.contact_method.address, subject: "\(pages.count) incidents for you (\(first.tenant_id))", text: Self.body(pages),
                          id: deliveries[0].idempotencyKey + "+\(pages.count)")
    }

    static func body(_ pages: [PagePayload]) -> String {
        pages.map { page in
            var lines = [page.headline, page.context, "State: \(page.state)"]
            if let ack = page.acknowledge_url { lines.append("Acknowledge: \(ack)") }
            if let url = page.url { lines.append("Open: \(url)") }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n\n-- \nThe One On-Call. The acknowledge link works once, for 24 hours.\n"
    }

    func send(to: String, subject: String, text: String, id: String) async -> DeliveryResult {
        do throws(SMTPClient.Failure) {
            try await client.send(SMTPClient.Message(from: from, to: to, subject: subject, text: text, id: id))
            return .delivered(detail: "SMTP 250")
        } catch {
            switch error {
            case .transient(let reason): return .retry(error: "SMTP: \(reason)", after: nil)
            case .permanent(let reason): return .failed(error: "SMTP: \(reason)")
            }
        }
    }
}
