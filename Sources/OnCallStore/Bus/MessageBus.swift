/// The event bus as On-Call uses it: publish CloudEvents, and read them in order per consumer group with an
/// offset the consumer moves once it has handled a message. `BUS_CONNECTION_STRING`'s scheme picks the
/// transport; PostgreSQL (`postgres://`, `postgresql://`) is the one built (``PostgresBus``).
public protocol MessageBus: Sendable {
    /// Creates what the transport needs (idempotent).
    func prepare() async throws
    /// Publishes one CloudEvents JSON message; a message whose `id` was published before is not added again.
    /// Returns false for such a repeat.
    @discardableResult
    func publish(id: String, type: String, source: String, subject: String?, tenantID: String?, json: String) async throws -> Bool
    /// The next messages for `group` after its offset, in order, never skipping one that commits late.
    func poll(group: String, limit: Int) async throws -> [BusDelivery]
    /// Moves `group`'s offset past `delivery` and records its id as handled.
    func acknowledge(_ delivery: BusDelivery, group: String) async throws
    /// What to commit with the incident change a delivery causes, so the two commit together: only when the
    /// transport lives in the main database (nil otherwise: the consumer acknowledges after the change).
    func receipt(for delivery: BusDelivery, group: String) -> BusReceipt?
    /// Whether `group` already handled the message with this id (a redelivery after a crash).
    func handled(messageID: String, group: String) async throws -> Bool
    /// Calls `published` whenever a message may have been published (a hint; runs until cancelled or the
    /// connection drops, then throws).
    func listen(_ published: @escaping @Sendable () -> Void) async throws
    /// How far `group` is behind: messages after its offset and the age of the oldest (nil: the transport cannot say).
    func lag(group: String) async throws -> BusLag?
}

public struct BusLag: Sendable, Equatable {
    public var messages: Int
    public var oldestSeconds: Double
    public init(messages: Int, oldestSeconds: Double) {
        self.messages = messages
        self.oldestSeconds = oldestSeconds
    }
}

extension MessageBus {
    public func lag(group: String) async throws -> BusLag? { nil }
}

/// One message as a consumer receives it.
public struct BusDelivery: Sendable, Equatable {
    /// Opaque position of the message (`xid:seq` for PostgreSQL).
    public var position: String
    public var id: String
    public var type: String
    /// The whole CloudEvents envelope, JSON.
    public var json: String

    public init(position: String, id: String, type: String, json: String) {
        self.position = position
        self.id = id
        self.type = type
        self.json = json
    }
}
