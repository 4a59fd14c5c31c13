public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// Incidents, their timelines, timers and outbox rows. Every change to an incident is one transaction that
/// writes the row (version-checked), the journal, the timer rows and the outbox rows together.
public struct IncidentStore: Sendable {
    public struct VersionConflict: Error, CustomStringConvertible {
        public let incidentID: UUID
        public init(incidentID: UUID) { self.incidentID = incidentID }
        public var description: String { "incident \(incidentID) was changed by another writer" }
    }

    /// A second open incident with the same dedup key was refused by the unique index.
    public struct DuplicateOpenIncident: Error {}

    public struct IncidentStoreError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public let client: PostgresClient
    public let logger: Logger
    let numberSequences = KnownSequences()

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: Reading

    static let columns = """
        tenant_id, id, number, service_id, workflow, title, severity, dedup_key, is_open, version,
        created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
        """ + SnapshotColumns.select

    public func incident(id: UUID, tenantID: String? = nil) async throws -> IncidentRecord? {
        let rows: PostgresRowSequence
        if let tenantID {
            rows = try await client.query("SELECT \(unescaped: Self.columns) FROM incidents \(unescaped: SnapshotColumns.timersJoin) WHERE tenant_id = \(tenantID) AND id = \(id)", logger: logger)
        } else {
            rows = try await client.query("SELECT \(unescaped: Self.columns) FROM incidents \(unescaped: SnapshotColumns.timersJoin) WHERE id = \(id)", logger: logger)
        }
        for try await row in rows { return try Self.record(row) }
        return nil
    }

    public func openIncident(tenantID: String, serviceID: String, dedupKey: String) async throws -> IncidentRecord? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM incidents \(unescaped: SnapshotColumns.timersJoin) WHERE tenant_id = \(tenantID) AND service_id = \(serviceID) AND dedup_key = \(dedupKey) AND is_open",
            logger: logger
        )
        for try await row in rows { return try Self.record(row) }
        return nil
    }

    /// What the incident is about beyond its title (the API's view; actors never load it).
    public func context(tenantID: String, incidentID: UUID) async throws -> IncidentContext? {
        let rows = try await client.query(
            "SELECT source, description, device, links::text, details::text, psa_ticket_id FROM incidents WHERE tenant_id = \(tenantID) AND id = \(incidentID)",
            logger: logger
        )
        for try await (source, description, device, links, details, ticket) in rows.decode((String?, String?, String?, String?, String?, String?).self) {
            var context = IncidentContext(source: source, description: description, device: device, links: links, details: details)
            context.psaTicketID = ticket
            return context
        }
        return nil
    }

    public func journal(tenantID: String, incidentID: UUID) async throws -> [JournalRecord] {
        let rows = try await client.query(
            "SELECT id, kind, actor, detail::text, at FROM incident_journal WHERE tenant_id = \(tenantID) AND incident_id = \(incidentID) ORDER BY id",
            logger: logger
        )
        var entries: [JournalRecord] = []
        for try await (id, kind, actor, detail, at) in rows.decode((Int64, String, String?, String, Date).self) {
            let fields = (try? JSONDecoder().decode([String: String].self, from: Data(detail.utf8))) ?? [:]
            entries.append(JournalRecord(id: id, kind: kind, actor: actor, detail: fields, at: Timestamp(at)))
        }
        return entries
    }

    // MARK: Writing

    /// One change waiting for a group commit.
    public struct BatchItem: Sendable {
        public var change: LockedChange
        public var expectedVersion: Int64
        /// Bus messages this change handles: committed with it (only if it is written).
        public var receipts: [BusReceipt]
        public init(change: LockedChange, expectedVersion: Int64, receipts: [BusReceipt] = []) {
            self.change = change
            self.expectedVersion = expectedVersion
            self.receipts = receipts
        }
    }

    /// Group commit: many incidents' changes in one transaction. Each incident row is updated only if still at
    /// its expected version; the result says, per item, whether it was written (false: a version conflict,
    /// nothing of that item written). Everything of the written items commits together.
    public func commitBatch(_ items: [BatchItem]) async throws -> [Bool] {
        guard !items.isEmpty else { return [] }
        let records = items.map(\.change.record)
        let snapshots = records.map { SnapshotColumns.encode($0.snapshot) }
        let written: Set<UUID> = try await client.withTransaction(logger: logger) { tx in
            let rows = try await tx.query(
                """
                UPDATE incidents SET state = u.state, is_open = u.is_open, snapshot = u.snapshot::jsonb, version = incidents.version + 1,
                    severity = u.snapshot::jsonb->>'severity',
                    updated_at = to_timestamp(u.updated / 1000000.0),
                    acknowledged_at = to_timestamp(NULLIF(u.acked, -1) / 1000000.0), acknowledged_by = NULLIF(u.acked_by, ''),
                    resolved_at = to_timestamp(NULLIF(u.resolved, -1) / 1000000.0), resolved_by = NULLIF(u.resolved_by, '')
                FROM unnest(\(records.map(\.tenantID))::text[], \(records.map(\.id))::uuid[], \(items.map(\.expectedVersion))::bigint[],
                            \(records.map(\.state))::text[], \(records.map(\.isOpen))::bool[], \(snapshots)::text[], \(records.map(\.updatedAt.microseconds))::bigint[],
                            \(records.map { $0.acknowledgedAt?.microseconds ?? -1 })::bigint[], \(records.map { $0.acknowledgedBy ?? "" })::text[],
                            \(records.map { $0.resolvedAt?.microseconds ?? -1 })::bigint[], \(records.map { $0.resolvedBy ?? "" })::text[])
                     AS u(tenant_id, id, expected, state, is_open, snapshot, updated, acked, acked_by, resolved, resolved_by)
                WHERE incidents.tenant_id = u.tenant_id AND incidents.id = u.id AND incidents.version = u.expected
                RETURNING incidents.id
                """,
                logger: logger
            )
            var written = Set<UUID>()
            for try await id in rows.decode(UUID.self) { written.insert(id) }
            let writtenItems = items.filter { written.contains($0.change.record.id) }
            try await Self.write(writtenItems.map(\.change), on: tx, logger: logger)
            try await BusReceipt.write(writtenItems.flatMap(\.receipts), on: tx, logger: logger)
            return written
        }
        return records.map { written.contains($0.id) }
    }

    /// Reads many incidents in one query (for activating many actors at once).
    public func incidents(ids: [UUID]) async throws -> [UUID: IncidentRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await client.query("SELECT \(unescaped: Self.columns) FROM incidents \(unescaped: SnapshotColumns.timersJoin) WHERE id = ANY(\(ids)::uuid[])", logger: logger)
        var records: [UUID: IncidentRecord] = [:]
        for try await row in rows {
            let record = try Self.record(row)
            records[record.id] = record
        }
        return records
    }

    /// What a locked command decided to write.
    public struct LockedChange: Sendable {
        public var record: IncidentRecord
        public var outcome: WorkflowOutcome
        public var outbox: [OutboxDraft]
        public var cancelPages: Bool
        public init(record: IncidentRecord, outcome: WorkflowOutcome, outbox: [OutboxDraft], cancelPages: Bool) {
            self.record = record
            self.outcome = outcome
            self.outbox = outbox
            self.cancelPages = cancelPages
        }
    }

    /// The pessimistic path, for when optimistic commits keep conflicting: reads the incident `FOR UPDATE`,
    /// lets `decide` (pure, synchronous) compute the change from that fresh row, and writes it in the same
    /// transaction, so it cannot conflict. Returns the row before and, when `decide` changed it, after.
    public func withLockedIncident(
        id: UUID, tenantID: String, receipts: [BusReceipt] = [], _ decide: @Sendable (IncidentRecord) throws -> LockedChange?
    ) async throws -> (before: IncidentRecord, after: IncidentRecord?)? {
        try await client.withTransaction(logger: logger) { tx -> (before: IncidentRecord, after: IncidentRecord?)? in
            let rows = try await tx.query("SELECT \(unescaped: Self.columns) FROM incidents \(unescaped: SnapshotColumns.timersJoin) WHERE tenant_id = \(tenantID) AND id = \(id) FOR UPDATE OF incidents", logger: logger)
            var current: IncidentRecord?
            for try await row in rows { current = try Self.record(row) }
            guard let current else { return nil }
            guard let change = try decide(current) else { return (current, nil) }
            let snapshot = SnapshotColumns.encode(change.record.snapshot)
            let r = change.record
            try await tx.query(
                """
                UPDATE incidents SET state = \(r.state), is_open = \(r.isOpen), snapshot = \(snapshot)::jsonb,
                    severity = \(r.snapshot.severity.rawValue), version = version + 1, updated_at = \(r.updatedAt.date),
                    acknowledged_at = \(r.acknowledgedAt?.date), acknowledged_by = \(r.acknowledgedBy),
                    resolved_at = \(r.resolvedAt?.date), resolved_by = \(r.resolvedBy)
                WHERE tenant_id = \(r.tenantID) AND id = \(r.id)
                """,
                logger: logger
            )
            try await Self.write([change], on: tx, logger: logger)
            try await BusReceipt.write(receipts, on: tx, logger: logger)
            var after = r
            after.version = current.version + 1
            return (current, after)
        }
    }

    /// Drops a timer row that fired stale (its generation is no longer armed), so it does not fire again.
    /// Deletes a timer row found stale, unless the incident as committed still arms that generation: the caller
    /// may have judged from a cached copy older than the timer (another node re-armed it meanwhile).
    public func deleteTimer(tenantID: String, incidentID: UUID, name: String, generation: Int64) async throws {
        try await client.query(
            """
            DELETE FROM incident_timers t
            WHERE t.tenant_id = \(tenantID) AND t.incident_id = \(incidentID) AND t.name = \(name) AND t.generation = \(generation)
              AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.tenant_id = t.tenant_id AND i.id = t.incident_id
                              AND (i.snapshot->'timers'->t.name->>'generation')::bigint = t.generation)
            """,
            logger: logger
        )
    }

    /// The rows a set of changes writes besides the incident rows, as one array per column: PostgreSQL takes
    /// each table's rows for any number of incidents in one statement (`unnest`).
    struct ChangeRows {
        var jTenant: [String] = [], jIncident: [UUID] = [], jSequence: [Int64] = [], jKind: [String] = [], jActor: [String] = [], jDetail: [String] = [], jAt: [Int64] = []
        var cTenant: [String] = [], cIncident: [UUID] = [], cName: [String] = []
        var aTenant: [String] = [], aIncident: [UUID] = [], aName: [String] = [], aGeneration: [Int64] = [], aDue: [Int64] = []
        var pTenant: [String] = [], pIncident: [UUID] = []
        var oTenant: [String] = [], oIncident: [UUID] = [], oSequence: [Int64] = [], oPosition: [Int32] = [], oChannel: [String] = []
        var oKind: [String] = [], oPayload: [String] = [], oKey: [String] = [], oNotBefore: [Int64] = [], oCreated: [Int64] = []

        init(_ changes: [LockedChange]) throws {
            for change in changes {
                let r = change.record
                let sequence = change.outcome.snapshot.sequence
                for entry in change.outcome.journal {
                    jTenant.append(r.tenantID); jIncident.append(r.id); jSequence.append(sequence); jKind.append(entry.kind)
                    jActor.append(entry.actor ?? ""); jDetail.append(try json(entry.detail)); jAt.append(r.updatedAt.microseconds)
                }
                for timer in change.outcome.timerChanges {
                    switch timer {
                    case .arm(let name, let generation, let dueAt):
                        aTenant.append(r.tenantID); aIncident.append(r.id); aName.append(name); aGeneration.append(generation); aDue.append(dueAt.microseconds)
                    case .cancel(let name):
                        cTenant.append(r.tenantID); cIncident.append(r.id); cName.append(name)
                    }
                }
                if change.cancelPages { pTenant.append(r.tenantID); pIncident.append(r.id) }
                for row in change.outbox {
                    oTenant.append(r.tenantID); oIncident.append(r.id); oSequence.append(sequence); oPosition.append(Int32(row.position))
                    oChannel.append(row.channel); oKind.append(row.kind); oPayload.append(row.payload); oKey.append(row.idempotencyKey)
                    oNotBefore.append(row.notBefore.microseconds); oCreated.append(r.updatedAt.microseconds)
                }
            }
        }

        /// The earliest armed timer when it is due soon enough to tell other nodes at once: they reread the near
        /// horizon every few seconds, and NOTIFY takes a global lock at commit, so not every re-arm is announced.
        var soonestTimer: Int64? {
            let soon = Timestamp(Date()).microseconds + 10_000_000
            return aDue.min().flatMap { $0 < soon ? $0 : nil }
        }
    }

    /// Writes the journal, timer changes, page cancellations and outbox rows of any number of incidents with
    /// a handful of array statements (one round trip each, however many incidents): the group commit path.
    static func write(_ changes: [LockedChange], on tx: PostgresConnection, logger: Logger) async throws {
        let rows = try ChangeRows(changes)
        try await write(rows, on: tx, logger: logger)
    }

    static func write(_ rows: ChangeRows, on tx: PostgresConnection, logger: Logger) async throws {
        let (jTenant, jIncident, jSequence, jKind, jActor, jDetail, jAt) = (rows.jTenant, rows.jIncident, rows.jSequence, rows.jKind, rows.jActor, rows.jDetail, rows.jAt)
        let (cTenant, cIncident, cName) = (rows.cTenant, rows.cIncident, rows.cName)
        let (aTenant, aIncident, aName, aGeneration, aDue) = (rows.aTenant, rows.aIncident, rows.aName, rows.aGeneration, rows.aDue)
        let (pTenant, pIncident) = (rows.pTenant, rows.pIncident)
        let (oTenant, oIncident, oSequence, oPosition, oChannel) = (rows.oTenant, rows.oIncident, rows.oSequence, rows.oPosition, rows.oChannel)
        let (oKind, oPayload, oKey, oNotBefore, oCreated) = (rows.oKind, rows.oPayload, rows.oKey, rows.oNotBefore, rows.oCreated)
        if !jKind.isEmpty {
            try await tx.query(
                """
                INSERT INTO incident_journal (tenant_id, incident_id, sequence, kind, actor, detail, at)
                SELECT t, i, s, k, NULLIF(a, ''), d::jsonb, to_timestamp(w / 1000000.0)
                FROM unnest(\(jTenant)::text[], \(jIncident)::uuid[], \(jSequence)::bigint[], \(jKind)::text[], \(jActor)::text[], \(jDetail)::text[], \(jAt)::bigint[])
                     WITH ORDINALITY AS j(t, i, s, k, a, d, w, n)
                ORDER BY n
                """,
                logger: logger
            )
        }
        if !cName.isEmpty {
            try await tx.query(
                """
                DELETE FROM incident_timers t USING unnest(\(cTenant)::text[], \(cIncident)::uuid[], \(cName)::text[]) AS c(tenant_id, incident_id, name)
                WHERE t.tenant_id = c.tenant_id AND t.incident_id = c.incident_id AND t.name = c.name
                """,
                logger: logger
            )
        }
        if !aName.isEmpty {
            try await tx.query(
                """
                INSERT INTO incident_timers (tenant_id, incident_id, name, generation, due_at)
                SELECT t, i, n, g, to_timestamp(d / 1000000.0)
                FROM unnest(\(aTenant)::text[], \(aIncident)::uuid[], \(aName)::text[], \(aGeneration)::bigint[], \(aDue)::bigint[]) AS a(t, i, n, g, d)
                ON CONFLICT (tenant_id, incident_id, name) DO UPDATE
                  SET generation = EXCLUDED.generation, due_at = EXCLUDED.due_at, claimed_until = NULL, claimed_by = NULL
                """,
                logger: logger
            )
            if let earliest = rows.soonestTimer {
                try await tx.query("SELECT pg_notify('oncall_timers', \(String(earliest)))", logger: logger)
            }
        }
        if !pIncident.isEmpty {
            try await tx.query(
                """
                DELETE FROM outbox o USING unnest(\(pTenant)::text[], \(pIncident)::uuid[]) AS p(tenant_id, incident_id)
                WHERE o.tenant_id = p.tenant_id AND o.incident_id = p.incident_id AND o.channel LIKE 'page:%'
                  AND o.status = 'pending' AND (o.locked_until IS NULL OR o.locked_until < now())
                """,
                logger: logger
            )
        }
        if !oKind.isEmpty {
            try await tx.query(
                """
                INSERT INTO outbox (tenant_id, incident_id, sequence, position, channel, kind, payload, idempotency_key, next_attempt_at, created_at)
                SELECT t, i, s, p, c, k, pl::jsonb, ik, to_timestamp(nb / 1000000.0), to_timestamp(ca / 1000000.0)
                FROM unnest(\(oTenant)::text[], \(oIncident)::uuid[], \(oSequence)::bigint[], \(oPosition)::int[], \(oChannel)::text[], \(oKind)::text[],
                            \(oPayload)::text[], \(oKey)::text[], \(oNotBefore)::bigint[], \(oCreated)::bigint[])
                     WITH ORDINALITY AS o(t, i, s, p, c, k, pl, ik, nb, ca, n)
                ORDER BY n
                ON CONFLICT (idempotency_key) DO NOTHING
                """,
                logger: logger
            )
            try await tx.query("SELECT pg_notify('oncall_outbox', '')", logger: logger)
        }
    }

    // MARK: Rows and JSON

    static func record(_ row: PostgresRow) throws -> IncidentRecord {
        let r = row.makeRandomAccess()
        let snapshot = SnapshotColumns.snapshot(
            state: try r["s_state"].decode(String.self), sequence: try r["s_sequence"].decode(Int64.self),
            severity: try r["s_severity"].decode(String.self), layer: try r["s_layer"].decode(Int32.self),
            layerCovered: try r["s_layer_covered"].decode(Bool.self), round: try r["s_round"].decode(Int32.self),
            exhausted: try r["s_exhausted"].decode(Bool.self), alertCount: try r["s_alert_count"].decode(Int32.self),
            lastAlert: try r["s_last_alert"].decode(Int64.self), timerNames: try r["s_timer_names"].decode([String].self),
            timerGenerations: try r["s_timer_generations"].decode([Int64].self), timerDues: try r["s_timer_dues"].decode([Int64].self),
            assignee: try r["s_assignee"].decode(String?.self), policy: try r["s_policy"].decode(String?.self)
        )
        return IncidentRecord(
            tenantID: try r["tenant_id"].decode(String.self),
            id: try r["id"].decode(UUID.self),
            number: try r["number"].decode(Int64.self),
            serviceID: try r["service_id"].decode(String.self),
            workflow: try r["workflow"].decode(String.self),
            title: try r["title"].decode(String.self),
            severity: Severity(rawValue: try r["severity"].decode(String.self)) ?? .medium,
            dedupKey: try r["dedup_key"].decode(String?.self),
            isOpen: try r["is_open"].decode(Bool.self),
            version: try r["version"].decode(Int64.self),
            snapshot: snapshot,
            createdAt: Timestamp(try r["created_at"].decode(Date.self)),
            updatedAt: Timestamp(try r["updated_at"].decode(Date.self)),
            acknowledgedAt: try r["acknowledged_at"].decode(Date?.self).map(Timestamp.init),
            acknowledgedBy: try r["acknowledged_by"].decode(String?.self),
            resolvedAt: try r["resolved_at"].decode(Date?.self).map(Timestamp.init),
            resolvedBy: try r["resolved_by"].decode(String?.self)
        )
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A flat string map as a JSON object (timeline details), without a JSONEncoder per entry.
    static func json(_ fields: [String: String]) throws -> String {
        JSONText.object(fields)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
