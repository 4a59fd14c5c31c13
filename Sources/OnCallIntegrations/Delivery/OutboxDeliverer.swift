/// One outbox row handed to the deliverer for its kind.
public struct Delivery: Sendable, Equatable {
    public var tenantID: String
    public var kind: String
    public var channel: String
    /// The row's JSON payload.
    public var payload: String
    /// Deterministic (incident, sequence, position): the same on every retry, so the receiver can deduplicate.
    public var idempotencyKey: String
    /// 1 for the first attempt.
    public var attempt: Int
    /// The incident's PSA ticket, once one was created (notes and the resolution go to it).
    public var psaTicketID: String?

    public init(tenantID: String, kind: String, channel: String, payload: String, idempotencyKey: String, attempt: Int, psaTicketID: String? = nil) {
        self.tenantID = tenantID
        self.kind = kind
        self.channel = channel
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.attempt = attempt
        self.psaTicketID = psaTicketID
    }
}

/// What an attempt achieved.
public enum DeliveryResult: Sendable, Equatable {
    /// The peer has it; `detail` goes to the timeline (for example "HTTP 202"). A PSA ticket created by the call
    /// is stored on the incident with the delivery.
    case delivered(detail: String, psaTicketID: String? = nil)
    /// Worth trying again; `after` overrides the back-off (a `Retry-After`).
    case retry(error: String, after: Duration?)
    /// Trying again cannot help (the peer refused the request itself): a dead letter at once.
    case failed(error: String)
    /// Nothing to send (the integration is not configured, the contact method has no channel yet); `reason` goes to the timeline.
    case skipped(reason: String)
}

/// Performs one kind of side effect. Implementations never throw: every outcome is a ``DeliveryResult``.
public protocol OutboxDeliverer: Sendable {
    func deliver(_ delivery: Delivery) async -> DeliveryResult
    /// Sends several pages to one contact method as one message (storm protection); nil: this channel cannot,
    /// and they go one by one.
    func deliverBundle(_ deliveries: [Delivery]) async -> DeliveryResult?
}

extension OutboxDeliverer {
    public func deliverBundle(_ deliveries: [Delivery]) async -> DeliveryResult? { nil }
}
