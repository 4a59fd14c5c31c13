public import Foundation
public import OnCallCore
import PostgresNIO
import Synchronization

extension IncidentStore {
    /// One incident to open, waiting for a group commit.
    public struct Creation: Sendable {
        public var record: IncidentRecord
        public var context: IncidentContext
        /// The outcome and outbox rows, given the record with its number (payloads carry it). Called inside the
        /// transaction: pure and quick.
        public var plan: @Sendable (IncidentRecord) -> (WorkflowOutcome, [OutboxDraft])
        /// Bus messages this creation handles: committed with it (only if it is written).
        public var receipts: [BusReceipt]

        public init(
            record: IncidentRecord, context: IncidentContext = IncidentContext(), receipts: [BusReceipt] = [],
            plan: @escaping @Sendable (IncidentRecord) -> (WorkflowOutcome, [OutboxDraft])
        ) {
            self.record = record
            self.context = context
            self.receipts = receipts
            self.plan = plan
        }
    }

    public enum CreationResult: Sendable {
        /// Committed, with its number and the outbox rows written with it.
        case created(IncidentRecord, [OutboxDraft])
        /// An open incident of the same service already has this dedup key (committed before, or earlier in the
        /// same batch): nothing was written; fold the alert into that one.
        case duplicate
    }

    /// Inserts a new incident with the outcome of entering its workflow. Throws ``DuplicateOpenIncident`` when an
    /// open incident with the same service and dedup key exists (the caller folds the alert into that one).
    public func create(
        _ record: IncidentRecord, context: IncidentContext = IncidentContext(), plan: @escaping @Sendable (IncidentRecord) -> (WorkflowOutcome, [OutboxDraft])
    ) async throws -> (IncidentRecord, [OutboxDraft]) {
        switch try await createBatch([Creation(record: record, context: context, plan: plan)])[0] {
        case .created(let saved, let outbox): return (saved, outbox)
        case .duplicate: throw DuplicateOpenIncident()
        }
    }

    /// Group commit for new incidents: many creations, of any tenants and services, in one transaction of two
    /// statements. The first inserts the incidents, each taking the next number of its tenant's sequence, with
    /// `ON CONFLICT DO NOTHING` on the open-key index: a concurrent creation of the same key (another node) waits
    /// for that one and yields to it, and numbers taken by duplicates are skipped (numbers only grow, with gaps).
    /// The second writes the journal, timers and outbox rows of those inserted, planned once their numbers are
    /// known (payloads carry them).
    public func createBatch(_ items: [Creation]) async throws -> [CreationResult] {
        guard !items.isEmpty else { return [] }
        // The first of each key in the batch goes to the database; the others are duplicates of it.
        var seen = Set<OpenKey>()
        var attempts: [Int] = []
        for (index, item) in items.enumerated() {
            if let key = item.record.dedupKey {
                guard seen.insert(OpenKey(tenantID: item.record.tenantID, serviceID: item.record.serviceID, dedupKey: key)).inserted else { continue }
            }
            attempts.append(index)
        }
        let records = attempts.map { items[$0].record }
        let contexts = attempts.map { items[$0].context }
        try await ensureNumberSequences(Set(records.map(\.tenantID)))
        do {
            let created: [Int: (IncidentRecord, [OutboxDraft])] = try await client.withTransaction(logger: logger) { tx in
                let numbers = try await Self.insert(records, contexts: contexts, on: tx, logger: logger)
                var created: [Int: (IncidentRecord, [OutboxDraft])] = [:]
                var changes: [LockedChange] = []
                var receipts: [BusReceipt] = []
                for (position, index) in attempts.enumerated() {
                    guard let number = numbers[records[position].id] else { continue }
                    var record = records[position]
                    record.number = number
                    let (outcome, outbox) = items[index].plan(record)
                    changes.append(LockedChange(record: record, outcome: outcome, outbox: outbox, cancelPages: false))
                    created[index] = (record, outbox)
                    receipts += items[index].receipts
                }
                try await Self.writeNew(try ChangeRows(changes), on: tx, logger: logger)
                try await BusReceipt.write(receipts, on: tx, logger: logger)
                return created
            }
            return items.indices.map { index in created[index].map { .created($0.0, $0.1) } ?? .duplicate }
        } catch let error as PostgresTransactionError {
            // A tenant's sequence dropped behind this cache's back (a restored dump): look again next time.
            if let psql = error.closureError as? PSQLError, psql.serverInfo?[.sqlState] == "42P01" { numberSequences.removeAll() }
            throw error
        }
    }

    /// The incidents, one statement; the numbers of those inserted by id (the others met an open incident with
    /// their key).
    private static func insert(_ records: [IncidentRecord], contexts: [IncidentContext], on tx: PostgresConnection, logger: Logger) async throws -> [UUID: Int64] {
        let rows = try await tx.execute(Prepared<InsertIncidents>(insertQuery(records, contexts: contexts)), logger: logger)
        var numbers: [UUID: Int64] = [:]
        for try await (id, number) in rows.decode((UUID, Int64).self) { numbers[id] = number }
        return numbers
    }

    enum InsertIncidents: StatementText {
        static let name = "oncall_insert_incidents"
        static let sql = insertQuery([], contexts: []).sql
    }

    static func insertQuery(_ records: [IncidentRecord], contexts: [IncidentContext]) -> PostgresQuery {
        // Arrays cannot carry NULL through PostgresNIO's encoders: '' and -1 stand for it.
        """
            INSERT INTO incidents (tenant_id, id, number, service_id, workflow, title, severity, dedup_key, state, is_open, version,
                                   snapshot, created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
                                   source, description, device, links, details)
            SELECT t, i, nextval(('incident_numbers_' || md5(t))::regclass), sv, wf, ti, se, NULLIF(dk, ''), st, op, ve, sn::jsonb,
                   to_timestamp(ca / 1000000.0), to_timestamp(ua / 1000000.0),
                   to_timestamp(NULLIF(aa, -1) / 1000000.0), NULLIF(ab, ''), to_timestamp(NULLIF(ra, -1) / 1000000.0), NULLIF(rb, ''),
                   NULLIF(so, ''), NULLIF(de, ''), NULLIF(dv, ''), NULLIF(li, '')::jsonb, NULLIF(dt, '')::jsonb
            FROM unnest(\(records.map(\.tenantID))::text[], \(records.map(\.id))::uuid[],
                        \(records.map(\.serviceID))::text[], \(records.map(\.workflow))::text[], \(records.map(\.title))::text[],
                        \(records.map(\.severity.rawValue))::text[], \(records.map { $0.dedupKey ?? "" })::text[], \(records.map(\.state))::text[],
                        \(records.map(\.isOpen))::bool[], \(records.map(\.version))::bigint[], \(records.map { SnapshotColumns.encode($0.snapshot) })::text[],
                        \(records.map(\.createdAt.microseconds))::bigint[], \(records.map(\.updatedAt.microseconds))::bigint[],
                        \(records.map { $0.acknowledgedAt?.microseconds ?? -1 })::bigint[], \(records.map { $0.acknowledgedBy ?? "" })::text[],
                        \(records.map { $0.resolvedAt?.microseconds ?? -1 })::bigint[], \(records.map { $0.resolvedBy ?? "" })::text[],
                        \(contexts.map { $0.source ?? "" })::text[], \(contexts.map { $0.description ?? "" })::text[],
                        \(contexts.map { $0.device ?? "" })::text[], \(contexts.map { $0.links ?? "" })::text[], \(contexts.map { $0.details ?? "" })::text[])
                 WITH ORDINALITY AS r(t, i, sv, wf, ti, se, dk, st, op, ve, sn, ca, ua, aa, ab, ra, rb, so, de, dv, li, dt, n)
            ORDER BY n
            ON CONFLICT (tenant_id, service_id, dedup_key) WHERE is_open AND dedup_key IS NOT NULL DO NOTHING
            RETURNING id, number
            """
    }

    /// New incidents' journal, timers and outbox rows in one statement (a new incident has no timer to cancel
    /// and no page to withdraw).
    private static func writeNew(_ r: ChangeRows, on tx: PostgresConnection, logger: Logger) async throws {
        guard !r.jKind.isEmpty || !r.aName.isEmpty || !r.oKind.isEmpty else { return }
        for try await _ in try await tx.execute(Prepared<NewIncidentRows>(newRowsQuery(r)), logger: logger) {}
    }

    enum NewIncidentRows: StatementText {
        static let name = "oncall_new_incident_rows"
        static let sql = newRowsQuery(try! ChangeRows([])).sql
    }

    static func newRowsQuery(_ r: ChangeRows) -> PostgresQuery {
        let soonestTimer = r.soonestTimer.map(String.init) ?? ""
        return """
            WITH journal AS (
                INSERT INTO incident_journal (tenant_id, incident_id, sequence, kind, actor, detail, at)
                SELECT t, i, s, k, NULLIF(a, ''), d::jsonb, to_timestamp(w / 1000000.0)
                FROM unnest(\(r.jTenant)::text[], \(r.jIncident)::uuid[], \(r.jSequence)::bigint[], \(r.jKind)::text[], \(r.jActor)::text[], \(r.jDetail)::text[], \(r.jAt)::bigint[])
                     WITH ORDINALITY AS j(t, i, s, k, a, d, w, n)
                ORDER BY n
            ), timers AS (
                INSERT INTO incident_timers (tenant_id, incident_id, name, generation, due_at)
                SELECT t, i, n, g, to_timestamp(d / 1000000.0)
                FROM unnest(\(r.aTenant)::text[], \(r.aIncident)::uuid[], \(r.aName)::text[], \(r.aGeneration)::bigint[], \(r.aDue)::bigint[]) AS a(t, i, n, g, d)
                RETURNING 1
            ), outbox AS (
                INSERT INTO outbox (tenant_id, incident_id, sequence, position, channel, kind, payload, idempotency_key, next_attempt_at, created_at)
                SELECT t, i, s, p, c, k, pl::jsonb, ik, to_timestamp(nb / 1000000.0), to_timestamp(ca / 1000000.0)
                FROM unnest(\(r.oTenant)::text[], \(r.oIncident)::uuid[], \(r.oSequence)::bigint[], \(r.oPosition)::int[], \(r.oChannel)::text[], \(r.oKind)::text[],
                            \(r.oPayload)::text[], \(r.oKey)::text[], \(r.oNotBefore)::bigint[], \(r.oCreated)::bigint[])
                     WITH ORDINALITY AS o(t, i, s, p, c, k, pl, ik, nb, ca, n)
                ORDER BY n
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM (SELECT pg_notify('oncall_outbox', '') FROM (SELECT 1 FROM outbox LIMIT 1) AS any_row) AS n)
                 + (SELECT count(*) FROM (SELECT pg_notify('oncall_timers', \(soonestTimer)) FROM (SELECT 1 FROM timers LIMIT 1) AS any_row
                                          WHERE \(soonestTimer) <> '') AS n)
            """
    }

    /// Makes sure each tenant's number sequence exists (once per tenant and process). A tenant's first incident
    /// on this database starts its sequence after the counter of earlier versions, if any.
    func ensureNumberSequences(_ tenantIDs: Set<String>) async throws {
        let missing = numberSequences.missing(from: tenantIDs)
        for tenantID in missing.sorted() {
            try await client.withTransaction(logger: logger) { tx in
                try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('incident_numbers:' || \(tenantID), 0))", logger: logger)
                var name = "", exists = false, start: Int64 = 1
                for try await (text, found, next) in try await tx.query(
                    """
                    SELECT 'incident_numbers_' || md5(\(tenantID)), to_regclass('incident_numbers_' || md5(\(tenantID))) IS NOT NULL,
                           COALESCE((SELECT last_number FROM incident_counters WHERE tenant_id = \(tenantID)), 0) + 1
                    """,
                    logger: logger
                ).decode((String, Bool, Int64).self) { (name, exists, start) = (text, found, next) }
                if !exists {
                    try await tx.query(PostgresQuery(unsafeSQL: "CREATE SEQUENCE IF NOT EXISTS \(Database.quoteIdentifier(name)) START WITH \(start)"), logger: logger)
                }
            }
            numberSequences.insert(tenantID)
        }
    }
}

/// An open incident's identity for deduplication: a service's dedup key.
public struct OpenKey: Hashable, Sendable {
    public var tenantID: String
    public var serviceID: String
    public var dedupKey: String

    public init(tenantID: String, serviceID: String, dedupKey: String) {
        self.tenantID = tenantID
        self.serviceID = serviceID
        self.dedupKey = dedupKey
    }
}

/// Tenants whose number sequence is known to exist (per store).
final class KnownSequences: Sendable {
    private let tenants = Mutex<Set<String>>([])
    func missing(from tenantIDs: Set<String>) -> Set<String> { tenants.withLock { tenantIDs.subtracting($0) } }
    func insert(_ tenantID: String) { _ = tenants.withLock { $0.insert(tenantID) } }
    func removeAll() { tenants.withLock { $0.removeAll() } }
}
