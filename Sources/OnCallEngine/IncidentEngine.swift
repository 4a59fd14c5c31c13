public import Foundation
public import Logging
public import OnCallCore
public import OnCallIntegrations
public import OnCallStore
public import PostgresNIO
public import ServiceLifecycle

/// The incident engine of one node: opens incidents, routes commands and timers to the incident's actor,
/// and runs the timer service, the outbox relay and passivation as services.
public final class IncidentEngine: Sendable {
    public struct Settings: Sendable {
        /// This node's name in leases (`claimed_by`, `locked_by`).
        public var node: String
        /// How often overdue heartbeats are looked for (a missed check-in opens its incident within this).
        public var heartbeatSweep: Duration = .seconds(1)
        public var publicURL: String?
        public var timerHorizon: Duration = .seconds(60)
        public var timerRefill: Duration = .seconds(5)
        public var lease: Duration = .seconds(30)
        public var retry = RetryPolicy()
        public var passivateAfter: Duration = .seconds(120)
        /// Polling fallback when no notification wakes the relay.
        public var outboxPoll: Duration = .seconds(1)
        /// Storm protection: at most one message per window to each contact method of these kinds; pages that come
        /// sooner wait and go together in the next message (docs/paging.md).
        public var pageThrottle: [String: Duration] = ["page.sms": .seconds(60), "page.email": .seconds(60)]
        /// The key acknowledge links are signed with: the cluster's (`AckLinks.clusterSecret`) so any node accepts
        /// a link another made; nil: a key of this engine's own (tests).
        public var ackLinkSecret: [UInt8]?

        public init(node: String, publicURL: String? = nil) {
            self.node = node
            self.publicURL = publicURL
        }
    }

    public struct TriggerRequest: Sendable {
        public var tenantID: String
        public var serviceID: String
        public var title: String
        public var severity: Severity
        public var dedupKey: String?
        /// Who opened it (`technician:alice`, `integration:nagios-core`).
        public var actor: String?
        /// Source, description, device, links and details, stored when the alert opens an incident.
        public var context: IncidentContext
        /// Bus messages this alert handles: committed with whatever the alert changes.
        public var receipts: [BusReceipt] = []

        public init(
            tenantID: String, serviceID: String, title: String, severity: Severity, dedupKey: String? = nil, actor: String? = nil,
            context: IncidentContext = IncidentContext()
        ) {
            self.tenantID = tenantID
            self.serviceID = serviceID
            self.title = title
            self.severity = severity
            self.dedupKey = dedupKey
            self.actor = actor
            self.context = context
        }
    }

    public enum TriggerResult: Sendable, Equatable {
        case created(IncidentRecord)
        /// The dedup key matched an open incident: one more alert on it, nobody paged.
        case deduplicated(IncidentRecord)

        public var record: IncidentRecord {
            switch self {
            case .created(let r), .deduplicated(let r): r
            }
        }
    }

    public struct UnknownService: Error, CustomStringConvertible {
        public let serviceID: String
        public var description: String { "service '\(serviceID)' does not exist" }
    }

    let core: EngineCore
    let directory: IncidentDirectory
    let settings: Settings
    let timerWake = WakeSignal()
    let relayWake = WakeSignal()
    let nextTimer = TimerSchedule()
    let openKeys = OpenKeys()
    public let store: IncidentStore
    /// Counters and histograms for `/metrics`.
    public let metrics = OnCallMetrics()
    /// Each integration's last success and error, written to the database every few seconds.
    public let health: IntegrationHealth
    /// The stuck-workflow list and its repairs.
    public let stuck: StuckWorkflows
    let client: PostgresClient
    let deliverers: [String: any OutboxDeliverer]
    let logger: Logger

    /// - Parameter deliverers: by outbox kind prefix (`page.webhook`, `page`, `publish`, `psa`); a row whose kind
    ///   has no deliverer is recorded as skipped.
    public init(
        client: PostgresClient, workflows: WorkflowRegistry, deliverers: [String: any OutboxDeliverer], settings: Settings, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }
    ) {
        let store = IncidentStore(client: client, logger: logger)
        self.store = store
        self.client = client
        self.health = IntegrationHealth(client: client, logger: logger, node: settings.node)
        self.stuck = StuckWorkflows(client: client, logger: logger)
        self.settings = settings
        self.deliverers = deliverers
        self.logger = logger
        let timerWake = self.timerWake
        let relayWake = self.relayWake
        let nextTimer = self.nextTimer
        let horizon = settings.timerHorizon
        let kinds = Set(deliverers.keys)
        let canDeliver: @Sendable (String) -> Bool = { kind in kinds.contains(kind) || kinds.contains(String(kind.prefix { $0 != "." })) }
        self.core = EngineCore(
            store: store, workflows: workflows,
            planner: OutboxPlanner(publicURL: settings.publicURL, ackLinks: AckLinks(secret: settings.ackLinkSecret ?? AckLinks.randomSecret()), canDeliver: canDeliver),
            clock: clock, logger: logger, metrics: metrics,
            committed: { rows, earliest in
                if rows > 0 { relayWake.signal() }
                if let earliest, nextTimer.offer(earliest, horizon: horizon, now: clock()) { timerWake.signal() }
            }
        )
        self.directory = IncidentDirectory(core: core)
    }

    /// The long-running parts, to add to the process's service group.
    public var services: [any ServiceLifecycle.Service] {
        [
            NotificationListener(client: client, logger: logger, timerWake: timerWake, relayWake: relayWake, tenantChanged: { [core] in core.forget(tenantID: $0) }),
            TimerService(engine: self),
            OutboxRelay(engine: self),
            PassivationService(directory: directory, idleAfter: settings.passivateAfter, interval: .seconds(30)),
            HeartbeatMonitor(engine: self, heartbeats: Heartbeats(client: client, logger: logger), interval: settings.heartbeatSweep),
            health,
        ]
    }

    /// Actors in memory now.
    public var activeActors: Int { directory.activeCount }

    /// Forgets this node's cached set-up of a tenant (after an admin change), so the next command reads it anew.
    public func forget(tenantID: String) { core.forget(tenantID: tenantID) }

    /// Calls `observer` with the tenant's id on every change to a tenant's set-up this node learns of (its own
    /// admin API, or another node's through `oncall_tenants`): for caches of tenant set-up outside the engine.
    public func observeTenantChanges(_ observer: @escaping @Sendable (String) -> Void) { core.observeTenantChanges(observer) }

    /// Drops actors idle for at least `idle` (the passivation service does this every 30 s).
    @discardableResult
    public func passivate(idleFor idle: Duration) -> Int { directory.passivate(idleAfter: idle) }

    /// Opens an incident, or folds the alert into the open incident with the same dedup key.
    ///
    /// A key this node knows to be open goes straight to that incident's actor. Otherwise the new incident joins
    /// the next group commit, and the insert itself decides: when an open incident already holds the key (the
    /// partial unique index), nothing is written and the alert folds into that one. No look-up precedes a new
    /// incident, so a new alert costs a share of one transaction.
    public func trigger(_ request: TriggerRequest) async throws -> TriggerResult {
        var request = request
        request.dedupKey = request.dedupKey.map(DedupKey.bounded)
        let service: ServiceContext
        do {
            service = try await core.service(request.tenantID, request.serviceID)
        } catch is EngineError {
            throw UnknownService(serviceID: request.serviceID)
        }
        let interpreter = try core.interpreter(service.workflow)
        let openKey = request.dedupKey.map { OpenKey(tenantID: request.tenantID, serviceID: request.serviceID, dedupKey: $0) }
        var known = openKey.flatMap { openKeys[$0] }
        for _ in 0..<8 {
            if let openKey, let id = known {
                let result = try await act(
                    IncidentEvent(.alert(severity: request.severity), by: request.actor), on: id, tenantID: request.tenantID, receipts: request.receipts
                )
                if let record = result.record, record.isOpen { return .deduplicated(record) }
                // Resolved since (here or on another node): the key opens a new incident.
                openKeys.forget(openKey, ifStill: id)
                known = nil
            }
            let now = core.clock()
            var outcome = interpreter.start(severity: request.severity, now: now, parameters: core.planner.parameters(for: service, severity: request.severity, now: now), by: request.actor)
            // Recorded but quiet: the timeline says why, so nobody wonders who was paged.
            let paging = service.paging(severity: request.severity, at: now)
            if !paging.shouldPage {
                var detail = ["reason": paging.quietUntil == nil ? "severity" : "maintenance_window", "severity": request.severity.rawValue]
                if let until = paging.quietUntil { detail["until"] = until.date.formatted(.iso8601) }
                outcome.journal.append(JournalEntry(kind: "paging.deferred", actor: "system", detail: detail))
            }
            let record = IncidentRecord(
                tenantID: request.tenantID, id: UUID(), number: 0, serviceID: request.serviceID, workflow: service.workflow,
                title: request.title, severity: request.severity, dedupKey: request.dedupKey,
                isOpen: !(interpreter.workflow.state(outcome.snapshot.state)?.isFinal ?? false), version: 1,
                snapshot: outcome.snapshot, createdAt: now, updatedAt: now
            )
            let planner = core.planner, started = outcome
            let creation = IncidentStore.Creation(record: record, context: request.context, receipts: request.receipts) { numbered in
                let plan = planner.plan(for: started.effects, incident: numbered, service: service, now: now)
                return (plan.noted(in: started), plan.outbox)
            }
            switch try await core.group.creates.submit(creation) {
            case .created(let saved, let drafts):
                core.committed(drafts.count, EngineCore.earliestArmed(outcome))
                core.count(outcome, created: interpreter.workflow.initial)
                if let openKey, saved.isOpen { openKeys.remember(openKey, saved.id) }
                return .created(saved)
            case .duplicate:
                guard let openKey else { continue }
                if let open = try await store.openIncident(tenantID: request.tenantID, serviceID: request.serviceID, dedupKey: openKey.dedupKey) {
                    openKeys.remember(openKey, open.id)
                    known = open.id
                }
            }
        }
        throw EngineError(message: "could not open or find the incident for dedup key '\(request.dedupKey ?? "")'")
    }

    /// Sends a command to an incident; `tenantID` (when given) must be the incident's. `receipts` commit with the
    /// change the command makes, if it makes one.
    public func act(_ event: IncidentEvent, on id: UUID, tenantID: String?, receipts: [BusReceipt] = []) async throws -> IncidentCommandResult {
        try await directory.actor(for: id).handle(event, tenantID: tenantID, receipts: receipts)
    }

    /// The states of a loaded workflow (nil: no such workflow).
    public func states(ofWorkflow name: String) -> [String]? {
        core.workflows[name]?.workflow.states.map(\.name)
    }

    /// Ops: writes the incident's timers again from its snapshot and wakes this node's timer service (the others
    /// hear of it from the database). nil when the tenant has no such incident.
    public func rearmTimers(id: UUID, tenantID: String, by actor: String) async throws -> Int? {
        let armed = try await stuck.rearm(tenantID: tenantID, incidentID: id, by: actor)
        timerWake.signal()
        return armed
    }

    public func incident(id: UUID, tenantID: String) async throws -> IncidentRecord? {
        try await store.incident(id: id, tenantID: tenantID)
    }

    public func timeline(id: UUID, tenantID: String) async throws -> [JournalRecord] {
        try await store.journal(tenantID: tenantID, incidentID: id)
    }

    func deliverer(for kind: String) -> (any OutboxDeliverer)? {
        if let exact = deliverers[kind] { return exact }
        return deliverers[String(kind.prefix { $0 != "." })]
    }
}

/// Capped exponential back-off with jitter, and when to give up.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int = 12
    public var base: Duration = .seconds(1)
    public var cap: Duration = .seconds(300)

    public init(maxAttempts: Int = 12, base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
    }

    /// The wait before attempt `attempt + 1`: min(cap, base·2^(attempt−1)), scaled by a random 50–100 %.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0.5...1.0)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = base * (1 << exponent)
        let capped = min(raw, cap)
        return capped * random
    }
}
