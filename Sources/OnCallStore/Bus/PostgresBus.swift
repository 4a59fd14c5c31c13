public import Logging
public import PostgresNIO

/// The bus as a durable message log in PostgreSQL (the main database or another one).
///
/// Order is `(xid, seq)`: each message carries the id of the transaction that published it, and a consumer
/// only reads messages whose transaction is older than every transaction still running
/// (`xid < pg_snapshot_xmin(pg_current_snapshot())`). A message committed late by a transaction that started
/// early is therefore never skipped: the reader waits for that transaction instead of passing its sequence
/// number. A long-running publisher delays consumers, it never loses them a message. NOTIFY `oncall_bus` after
/// each publish is a wake-up hint; consumers also poll.
public struct PostgresBus: MessageBus {
    public static let channel = "oncall_bus"

    public let client: PostgresClient
    public let logger: Logger
    /// The bus tables are in the main database: a consumer's progress can commit with the incident.
    public let sharesMainDatabase: Bool

    public init(client: PostgresClient, logger: Logger, sharesMainDatabase: Bool = false) {
        self.client = client
        self.logger = logger
        self.sharesMainDatabase = sharesMainDatabase
    }

    public func receipt(for delivery: BusDelivery, group: String) -> BusReceipt? {
        sharesMainDatabase ? BusReceipt(group: group, messageID: delivery.id, position: delivery.position) : nil
    }

    public func prepare() async throws {
        for statement in [
            """
            CREATE TABLE IF NOT EXISTS bus_messages (
                seq bigserial PRIMARY KEY,
                xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                id text NOT NULL UNIQUE,
                type text NOT NULL,
                source text NOT NULL,
                subject text,
                tenant_id text,
                body jsonb NOT NULL,
                published_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX IF NOT EXISTS bus_messages_order ON bus_messages (xid, seq)",
            """
            CREATE TABLE IF NOT EXISTS bus_offsets (
                consumer_group text PRIMARY KEY,
                xid xid8 NOT NULL,
                seq bigint NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS bus_handled (
                consumer_group text NOT NULL,
                message_id text NOT NULL,
                handled_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (consumer_group, message_id)
            )
            """,
        ] {
            // Several nodes may prepare at once: serialise on an advisory lock.
            try await client.withTransaction(logger: logger) { tx in
                try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('oncall:bus:prepare', 0))", logger: logger)
                try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    @discardableResult
    public func publish(id: String, type: String, source: String, subject: String?, tenantID: String?, json: String) async throws -> Bool {
        try await client.withTransaction(logger: logger) { tx in
            var inserted = false
            for try await _ in try await tx.query(
                """
                INSERT INTO bus_messages (id, type, source, subject, tenant_id, body) VALUES (\(id), \(type), \(source), \(subject), \(tenantID), \(json)::jsonb)
                ON CONFLICT (id) DO NOTHING RETURNING seq
                """,
                logger: logger
            ) { inserted = true }
            if inserted { try await tx.query("SELECT pg_notify(\(Self.channel), '')", logger: logger) }
            return inserted
        }
    }

    public func poll(group: String, limit: Int) async throws -> [BusDelivery] {
        let rows = try await client.query(
            """
            SELECT m.xid::text, m.seq, m.id, m.type, m.body::text FROM bus_messages m
            LEFT JOIN bus_offsets o ON o.consumer_group = \(group)
            WHERE (o.consumer_group IS NULL OR (m.xid, m.seq) > (o.xid, o.seq))
              AND m.xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY m.xid, m.seq
            LIMIT \(limit)
            """,
            logger: logger
        )
        var deliveries: [BusDelivery] = []
        for try await (xid, seq, id, type, body) in rows.decode((String, Int64, String, String, String).self) {
            deliveries.append(BusDelivery(position: "\(xid):\(seq)", id: id, type: type, json: body))
        }
        return deliveries
    }

    public func lag(group: String) async throws -> BusLag? {
        let rows = try await client.query(
            """
            SELECT count(*)::bigint, COALESCE(extract(epoch FROM now() - min(m.published_at)), 0)::float8 FROM bus_messages m
            LEFT JOIN bus_offsets o ON o.consumer_group = \(group)
            WHERE o.consumer_group IS NULL OR (m.xid, m.seq) > (o.xid, o.seq)
            """,
            logger: logger
        )
        for try await (count, seconds) in rows.decode((Int64, Double).self) { return BusLag(messages: Int(count), oldestSeconds: seconds) }
        return nil
    }

    public func acknowledge(_ delivery: BusDelivery, group: String) async throws {
        try await client.withConnection { connection in
            try await BusReceipt.write(BusReceipt(group: group, messageID: delivery.id, position: delivery.position), on: connection, logger: logger)
        }
    }

    public func handled(messageID: String, group: String) async throws -> Bool {
        for try await _ in try await client.query(
            "SELECT 1 FROM bus_handled WHERE consumer_group = \(group) AND message_id = \(messageID)", logger: logger
        ) { return true }
        return false
    }

    public func listen(_ published: @escaping @Sendable () -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.channel) { notifications in
                for try await _ in notifications { published() }
            }
        }
    }
}
