public import AsyncHTTPClient
import Crypto
public import Foundation
import NIOCore
import NIOHTTP1

/// Pages a technician through a `webhook` contact method: a JSON POST to their URL.
///
/// The body is the page payload (incident id, number, title, severity, layer, technician, acknowledge link);
/// `Idempotency-Key` is the outbox row's, identical on every retry. 2xx is delivered; 408, 429 and 5xx and
/// network errors are retried (a `Retry-After` is honoured); any other status is a dead letter at once.
///
/// With `signingSecret`, each request carries `X-OnCall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" keyed with the tenant's secret>` (docs/paging.md), so a receiver can tell On-Call's pages
/// from forgeries and refuse replays.
public struct WebhookPageDeliverer: OutboxDeliverer {
    let client: HTTPClient
    let timeout: TimeAmount
    let signingSecret: (@Sendable (_ tenantID: String) async throws -> String)?
    let clock: @Sendable () -> Date

    public init(
        client: HTTPClient = HTTPDelivery.client, timeout: Duration = .seconds(10),
        signingSecret: (@Sendable (_ tenantID: String) async throws -> String)? = nil, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.signingSecret = signingSecret
        self.clock = clock
        self.client = client
        self.timeout = HTTPDelivery.amount(timeout)
    }

    struct Target: Decodable {
        struct Method: Decodable { var type: String; var address: String }
        var contact_method: Method
    }

    public func deliver(_ delivery: Delivery) async -> DeliveryResult {
        guard let target = try? JSONDecoder().decode(Target.self, from: Data(delivery.payload.utf8)) else {
            return .failed(error: "page payload has no contact_method")
        }
        guard target.contact_method.type == "webhook" else {
            return .skipped(reason: "no \(target.contact_method.type) channel in this version; only webhook pages are sent")
        }
        var request = HTTPClientRequest(url: target.contact_method.address)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: delivery.idempotencyKey)
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        if let signingSecret {
            do {
                let secret = try await signingSecret(delivery.tenantID)
                request.headers.add(name: "X-OnCall-Signature", value: Self.signature(body: delivery.payload, secret: secret, at: clock()))
            } catch {
                return .retry(error: "no signing secret for tenant \(delivery.tenantID): \(error)", after: nil)
            }
        }
        return await HTTPDelivery.send(request, client: client, timeout: timeout)
    }

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    public static func signature(body: String, secret: String, at date: Date) -> String {
        let t = String(Int64(date.timeIntervalSince1970))
        let mac = HMAC<SHA256>.authenticationCode(for: Array((t + "." + body).utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(t),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// The HTTP status → result rule shared by every HTTP deliverer.
public enum HTTPDelivery {
    /// The client outbound deliveries share: like `HTTPClient.shared` (process-wide, never shut down) but giving
    /// up on a receiver that refuses connections after 3 s instead of retrying until the request's deadline, so
    /// a dead receiver costs a retry, not 10 s of a relay slot (or of a graceful shutdown).
    public static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(3), read: .seconds(10)))
    )

    static func send(_ request: HTTPClientRequest, client: HTTPClient, timeout: TimeAmount) async -> DeliveryResult {
        do {
            let response = try await client.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return classify(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"))
        } catch {
            return .retry(error: "\(request.url): \(error)", after: nil)
        }
    }

    static func classify(status: Int, retryAfter: String?) -> DeliveryResult {
        switch status {
        case 200..<300:
            return .delivered(detail: "HTTP \(status)")
        case 408, 425, 429, 500...:
            return .retry(error: "HTTP \(status)", after: retryAfter.flatMap(Int.init).map { .seconds(max(0, min($0, 3600))) })
        default:
            return .failed(error: "HTTP \(status)")
        }
    }
}
