public import AsyncHTTPClient
import Foundation
public import OnCallCore
import NIOCore
import NIOHTTP1

/// The PSA calls of docs/psa.md: create the ticket (on acknowledge), add notes, resolve it. Each call carries
/// `X-Service-Key` and the outbox row's `Idempotency-Key` (the same on every retry); the ticket carries
/// `external_ref = oncall:<tenant>:<incident>`. A created ticket's id comes back as the result's `psaTicketID`,
/// which the relay stores on the incident in the same transaction as the delivery; notes and the resolution
/// go to that ticket, and wait (retried) while it does not exist yet.
public struct PSADeliverer: OutboxDeliverer {
    let psa: ServicePeerClient

    public init(peer: OnCallConfiguration.ServicePeer, client: HTTPClient = HTTPDelivery.client, timeout: Duration = .seconds(10)) {
        psa = ServicePeerClient(peer, client: client, timeout: timeout)
    }

    /// The outbox payload of a PSA call (`OutboxPlanner`).
    struct Payload: Decodable {
        struct Incident: Decodable {
            var incident_id: String
            var tenant_id: String
            var number: Int
            var title: String
            var severity: String
            var service_id: String
            var url: String?
        }
        var operation: String
        var incident: Incident
        var note: String?
        var note_by: String?
        var acknowledged_by: String?
        var acknowledged_at: String?
        var resolved_by: String?
        var resolved_at: String?
    }

    public func deliver(_ delivery: Delivery) async -> DeliveryResult {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(delivery.payload.utf8)) else {
            return .failed(error: "PSA payload is not a PSA call")
        }
        let incident = payload.incident
        let externalRef = "oncall:\(incident.tenant_id):\(incident.incident_id)"
        switch payload.operation {
        case "create_ticket":
            // Acknowledged again (after an acknowledgement timed out, or an unacknowledge): one ticket per incident.
            if let ticket = delivery.psaTicketID { return .skipped(reason: "the incident already has PSA ticket \(ticket)") }
            var body: [String: JSONValue] = [
                "external_ref": .string(externalRef), "tenant_id": .string(incident.tenant_id), "title": .string(incident.title),
                "severity": .string(incident.severity),
            ]
            var about: [String: JSONValue] = ["id": .string(incident.incident_id), "number": .int(incident.number), "service_id": .string(incident.service_id)]
            if let url = incident.url { about["url"] = .string(url) }
            body["incident"] = .object(about)
            if let by = payload.acknowledged_by { body["acknowledged_by"] = .string(by) }
            if let at = payload.acknowledged_at { body["acknowledged_at"] = .string(at) }
            return await send(.POST, "/tickets", body: body, delivery: delivery, expectTicket: true)
        case "add_note":
            guard let ticket = delivery.psaTicketID else { return Self.noTicketYet }
            var body: [String: JSONValue] = ["external_ref": .string(externalRef), "text": .string(payload.note ?? "")]
            if let by = payload.note_by { body["author"] = .string(by) }
            return await send(.POST, "/tickets/\(Self.escaped(ticket))/notes", body: body, delivery: delivery, expectTicket: false)
        case "resolve_ticket":
            guard let ticket = delivery.psaTicketID else { return Self.noTicketYet }
            var body: [String: JSONValue] = ["external_ref": .string(externalRef), "status": .string("resolved")]
            if let by = payload.resolved_by {
                body["resolved_by"] = .string(by)
                body["resolution"] = .string("Resolved in On-Call by \(by)")
            } else {
                body["resolution"] = .string("Resolved in On-Call")
            }
            if let at = payload.resolved_at { body["resolved_at"] = .string(at) }
            return await send(.PATCH, "/tickets/\(Self.escaped(ticket))", body: body, delivery: delivery, expectTicket: false)
        default:
            return .failed(error: "unknown PSA operation '\(payload.operation)'")
        }
    }

    /// A note or resolution whose ticket is not created yet: try again later, never call a ticket that does not exist.
    static let noTicketYet = DeliveryResult.retry(error: "the incident has no PSA ticket yet (its creation has not succeeded)", after: nil)

    static func escaped(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [String: JSONValue], delivery: Delivery, expectTicket: Bool) async -> DeliveryResult {
        let request = psa.request(method, path, body: .object(body), idempotencyKey: delivery.idempotencyKey)
        let status: Int, retryAfter: String?, answer: ByteBuffer
        do {
            let response = try await psa.client.execute(request, timeout: psa.timeout)
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "Retry-After")
            answer = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
        } catch {
            return .retry(error: "\(method.rawValue) \(request.url): \(error)", after: nil)
        }
        guard expectTicket else { return HTTPDelivery.classify(status: status, retryAfter: retryAfter) }
        // A PSA that deduplicated on external_ref may answer 409 with the ticket it already has.
        guard (200..<300).contains(status) || status == 409 else { return HTTPDelivery.classify(status: status, retryAfter: retryAfter) }
        guard let ticket = Self.ticketID(in: answer) else {
            return status == 409
                ? .failed(error: "HTTP 409 without the existing ticket's id")
                : .retry(error: "HTTP \(status) without a ticket id in the answer", after: nil)
        }
        return .delivered(detail: "HTTP \(status), ticket \(ticket)", psaTicketID: ticket)
    }

    /// `id` of the JSON object answered (a string or a number).
    static func ticketID(in body: ByteBuffer) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return nil }
        switch object["id"] {
        case let text as String where !text.isEmpty: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }
}
