import PostgresNIO

/// "This consumer group has handled this bus message": written in the same transaction as the incident change
/// the message caused, when the bus lives in the main database, so the change and the consumer's progress
/// commit together or not at all (a crash can neither lose the message nor apply it twice).
public struct BusReceipt: Sendable, Equatable {
    public var group: String
    public var messageID: String
    /// The message's position in its transport (`xid:seq` for ``PostgresBus``).
    public var position: String

    public init(group: String, messageID: String, position: String) {
        self.group = group
        self.messageID = messageID
        self.position = position
    }

    /// Records each message as handled and moves each group's offset past it (never backwards).
    static func write(_ receipts: [BusReceipt], on connection: PostgresConnection, logger: Logger) async throws {
        guard !receipts.isEmpty else { return }
        for receipt in receipts {
            try await write(receipt, on: connection, logger: logger)
        }
    }

    static func write(_ receipt: BusReceipt, on connection: PostgresConnection, logger: Logger) async throws {
        let parts = receipt.position.split(separator: ":")
        guard parts.count == 2, let seq = Int64(parts[1]) else { return }
        let xid = String(parts[0])
        try await connection.query(
            """
            WITH handled AS (
                INSERT INTO bus_handled (consumer_group, message_id) VALUES (\(receipt.group), \(receipt.messageID)) ON CONFLICT DO NOTHING
            )
            INSERT INTO bus_offsets (consumer_group, xid, seq) VALUES (\(receipt.group), \(xid)::xid8, \(seq))
            ON CONFLICT (consumer_group) DO UPDATE SET xid = excluded.xid, seq = excluded.seq, updated_at = now()
            WHERE (bus_offsets.xid, bus_offsets.seq) < (excluded.xid, excluded.seq)
            """,
            logger: logger
        )
    }
}
