import Foundation
import Logging
import OnCallCore
import OnCallStore
import Synchronization

/// What every incident actor shares: the store, the workflows, the planner, the clock, and the hooks that wake
/// this node's timer service and outbox relay after a commit.
final class EngineCore: Sendable {
    let store: IncidentStore
    let workflows: WorkflowRegistry
    let planner: OutboxPlanner
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let committed: @Sendable (_ outboxRows: Int, _ earliestTimer: Timestamp?) -> Void
    let group: GroupCommit
    let domain: DomainStore
    let metrics: OnCallMetrics
    private let tenants = Mutex<[String: TenantEntry]>([:])

    /// A tenant's services as last read, and the read in progress, if any.
    struct TenantEntry {
        var services: [String: ServiceContext]?
        var expires = ContinuousClock.Instant.now
        var loading: Task<[String: ServiceContext], any Error>?
        /// Bumped when the tenant changes: a read begun before must not be kept.
        var generation: UInt64 = 0
    }
    private let tenantObservers = Mutex<[@Sendable (String) -> Void]>([])

    init(
        store: IncidentStore, workflows: WorkflowRegistry, planner: OutboxPlanner, clock: @escaping @Sendable () -> Timestamp,
        logger: Logger, metrics: OnCallMetrics, committed: @escaping @Sendable (Int, Timestamp?) -> Void
    ) {
        self.metrics = metrics
        self.store = store
        self.workflows = workflows
        self.planner = planner
        self.clock = clock
        self.logger = logger
        self.committed = committed
        self.group = GroupCommit(store: store)
        self.domain = DomainStore(client: store.client, logger: logger)
    }

    func interpreter(_ name: String) throws -> WorkflowInterpreter {
        guard let interpreter = workflows[name] else { throw EngineError(message: "workflow '\(name)' is not loaded (see workflows/)") }
        return interpreter
    }

    /// Services change rarely and every command needs one: read each tenant's set-up through a cache that
    /// refreshes after 5 s (at once on this node after an admin change, see ``forget(tenantID:)``). One read per
    /// tenant at a time: requests that find it missing wait for that read, and requests that find it expired keep
    /// using the expiring copy while it is refreshed, so an expiry under load is not a burst of identical reads.
    func service(_ tenantID: String, _ id: String) async throws -> ServiceContext {
        let now = ContinuousClock.now
        let (ready, loading): ([String: ServiceContext]?, Task<[String: ServiceContext], any Error>?) = tenants.withLock { tenants in
            var entry = tenants[tenantID] ?? TenantEntry()
            if let services = entry.services, entry.expires > now { return (services, nil) }
            if entry.loading == nil {
                let generation = entry.generation
                entry.loading = Task { try await self.load(tenantID, generation: generation) }
                tenants[tenantID] = entry
            }
            return (entry.services, entry.services == nil ? entry.loading : nil)
        }
        let services: [String: ServiceContext]
        if let ready { services = ready } else { services = try await loading!.value }
        guard let service = services[id] else { throw unknown(tenantID, id) }
        return service
    }

    private func load(_ tenantID: String, generation: UInt64) async throws -> [String: ServiceContext] {
        var services: [String: ServiceContext] = [:]
        do {
            if let tenant = try await domain.load(tenantID: tenantID)?.configuration { services = ServiceContext.all(of: tenant) }
        } catch {
            tenants.withLock { tenants in if tenants[tenantID]?.generation == generation { tenants[tenantID]?.loading = nil } }
            throw error
        }
        let loaded = services
        tenants.withLock { tenants in
            // Forgotten meanwhile (a change committed while this read ran): the next command reads again.
            guard tenants[tenantID]?.generation == generation else { return }
            tenants[tenantID] = TenantEntry(services: loaded, expires: ContinuousClock.now + .seconds(5), loading: nil, generation: generation)
        }
        return services
    }

    func forget(tenantID: String) {
        tenants.withLock { tenants in
            tenants[tenantID] = TenantEntry(generation: (tenants[tenantID]?.generation ?? 0) &+ 1)
        }
        for observer in tenantObservers.withLock({ $0 }) { observer(tenantID) }
    }

    /// Also told of every tenant change this node learns of (other caches of tenant set-up).
    func observeTenantChanges(_ observer: @escaping @Sendable (String) -> Void) {
        tenantObservers.withLock { $0.append(observer) }
    }

    private func unknown(_ tenantID: String, _ id: String) -> EngineError {
        EngineError(message: "service '\(id)' of tenant '\(tenantID)' does not exist")
    }

    /// Applies one event to the incident as read at `current.version` and commits the outcome (optimistic:
    /// throws ``IncidentStore/VersionConflict`` when another writer got there first).
    func apply(_ event: IncidentEvent, to current: IncidentRecord, receipts: [BusReceipt] = []) async throws -> IncidentCommandResult {
        let interpreter = try interpreter(current.workflow)
        let service = try await service(current.tenantID, current.serviceID)
        let decision = decide(event, current, interpreter: interpreter, service: service, now: clock())
        guard case .change(let change) = decision else { return try await finish(decision, event: event, current: current) }
        guard try await group.commits.submit(.init(change: change, expectedVersion: current.version, receipts: receipts)) else {
            throw IncidentStore.VersionConflict(incidentID: current.id)
        }
        committed(change.outbox.count, Self.earliestArmed(change.outcome))
        count(change.outcome)
        var saved = change.record
        saved.version = current.version + 1
        return .applied(saved)
    }

    /// The same, holding the incident's row lock: for when optimistic commits keep losing to other writers.
    func applyLocked(
        _ event: IncidentEvent, id: UUID, tenantID: String, serviceID: String, workflow: String, receipts: [BusReceipt] = []
    ) async throws -> IncidentCommandResult {
        let interpreter = try interpreter(workflow)
        let service = try await service(tenantID, serviceID)
        let now = clock()
        let box = DecisionBox()
        // Under the same deadline as the batches: a call that never returns must not hold the actor for good.
        let result = try await DatabaseDeadline.run { [store] in
            try await store.withLockedIncident(id: id, tenantID: tenantID, receipts: receipts) { current in
                let decision = self.decide(event, current, interpreter: interpreter, service: service, now: now)
                box.set(decision)
                if case .change(let change) = decision { return change }
                return nil
            }
        }.get()
        guard let result else { return .notFound }
        if let after = result.after, case .change(let change)? = box.value {
            committed(change.outbox.count, Self.earliestArmed(change.outcome))
            count(change.outcome)
            return .applied(after)
        }
        return try await finish(box.value ?? .unchanged, event: event, current: result.before)
    }

    /// Several events for one incident in one commit (alerts of a hot dedup key queued behind each other): each is
    /// applied in order to the state the one before left, and everything is written together, as if committed one
    /// by one (journal in order, timers as they stand after the last, every outbox row with its own key). Returns a
    /// result per event, or nil when another writer changed the incident first (nothing was written).
    func applyAll(_ events: [IncidentEvent], to current: IncidentRecord, receipts: [BusReceipt]) async throws -> [IncidentCommandResult]? {
        let interpreter = try interpreter(current.workflow)
        let service = try await service(current.tenantID, current.serviceID)
        let now = clock()
        var state = current
        var decisions: [Decision] = []
        var journal: [JournalEntry] = [], effects: [WorkflowEffect] = [], outbox: [OutboxDraft] = []
        var cancelPages = false, changed = false
        for event in events {
            let decision = decide(event, state, interpreter: interpreter, service: service, now: now)
            decisions.append(decision)
            guard case .change(let change) = decision else { continue }
            state = change.record
            journal += change.outcome.journal
            effects += change.outcome.effects
            outbox += change.outbox
            cancelPages = cancelPages || change.cancelPages
            changed = true
        }
        var saved = state
        if changed {
            let outcome = WorkflowOutcome(
                disposition: .applied, snapshot: state.snapshot, effects: effects,
                timerChanges: Self.timerChanges(from: current.snapshot, to: state.snapshot), journal: journal
            )
            let merged = IncidentStore.LockedChange(record: state, outcome: outcome, outbox: outbox, cancelPages: cancelPages)
            guard try await group.commits.submit(.init(change: merged, expectedVersion: current.version, receipts: receipts)) else { return nil }
            committed(outbox.count, Self.earliestArmed(outcome))
            count(outcome)
            saved.version = current.version + 1
        }
        return decisions.map { decision in
            switch decision {
            case .change: .applied(saved)
            case .refused(let reason): .refused(saved, reason)
            case .unchanged, .stale: .unchanged(saved)
            }
        }
    }

    /// The timer rows that turn `before`'s armed timers into `after`'s.
    static func timerChanges(from before: IncidentSnapshot, to after: IncidentSnapshot) -> [TimerChange] {
        Set(before.timers.keys).union(after.timers.keys).sorted().compactMap { name in
            switch (before.timers[name], after.timers[name]) {
            case (let old, let new?) where old != new: .arm(name: name, generation: new.generation, dueAt: new.dueAt)
            case (_?, nil): .cancel(name: name)
            default: nil
            }
        }
    }

    enum Decision: Sendable {
        case change(IncidentStore.LockedChange)
        case refused(String)
        case unchanged
        case stale
    }

    /// Pure: what the event does to `current`.
    func decide(_ event: IncidentEvent, _ current: IncidentRecord, interpreter: WorkflowInterpreter, service: ServiceContext, now: Timestamp) -> Decision {
        // A reassignment to another policy runs (and pages) that policy from this event on.
        var service = service.following(policy: current.snapshot.policy)
        if case .reassign(.policy(let id)) = event.kind {
            guard service.policies[id] != nil else { return .refused("escalation policy '\(id)' does not exist") }
            service = service.following(policy: id)
        }
        if case .reassign(.technician(let id)) = event.kind, service.technicians[id] == nil {
            return .refused("technician '\(id)' does not exist")
        }
        // A repeated alert at a higher severity is judged at that severity (it may start paging a quiet incident).
        var severity = current.snapshot.severity
        if case .alert(let raised?) = event.kind { severity = max(severity, raised) }
        let parameters = planner.parameters(for: service, severity: severity, now: now)
        let outcome = interpreter.apply(event, to: current.snapshot, now: now, parameters: parameters)
        switch outcome.disposition {
        case .refused(let reason): return .refused(reason)
        case .unchanged: return .unchanged
        case .staleTimer: return .stale
        case .applied:
            var next = current
            next.snapshot = outcome.snapshot
            next.severity = outcome.snapshot.severity
            next.isOpen = !(interpreter.workflow.state(outcome.snapshot.state)?.isFinal ?? false)
            next.updatedAt = now
            if case .acknowledge = event.kind, outcome.snapshot.state != current.snapshot.state {
                next.acknowledgedAt = now
                next.acknowledgedBy = event.actor
            } else if next.acknowledgedAt == nil, outcome.effects.contains(.psa(.createTicket, note: nil)) {
                // Acknowledged another way (ops forcing the state): the ticket is asked for, so later notes and the
                // resolution go to it.
                next.acknowledgedAt = now
                next.acknowledgedBy = event.actor
            }
            if current.isOpen && !next.isOpen {
                next.resolvedAt = now
                next.resolvedBy = event.actor
            }
            let plan = planner.plan(for: outcome.effects, incident: next, service: service, now: now, by: event.actor)
            return .change(.init(record: next, outcome: plan.noted(in: outcome), outbox: plan.outbox, cancelPages: outcome.effects.contains(.cancelPages)))
        }
    }

    private func finish(_ decision: Decision, event: IncidentEvent, current: IncidentRecord) async throws -> IncidentCommandResult {
        switch decision {
        case .refused(let reason):
            return .refused(current, reason)
        case .stale:
            if case .timer(let name, let generation) = event.kind {
                try await store.deleteTimer(tenantID: current.tenantID, incidentID: current.id, name: name, generation: generation)
            }
            return .unchanged(current)
        case .unchanged, .change:
            return .unchanged(current)
        }
    }

    /// Carries the decision out of the locked transaction's closure.
    final class DecisionBox: Sendable {
        private let decision = Mutex<Decision?>(nil)
        func set(_ value: Decision) { decision.withLock { $0 = value } }
        var value: Decision? { decision.withLock { $0 } }
    }

    /// The committed outcome's state changes, for `/metrics` (a new incident counts as one from `none`).
    func count(_ outcome: WorkflowOutcome, created initial: String? = nil) {
        if let initial { metrics.transition(from: "none", to: initial) }
        for entry in outcome.journal where entry.kind == "state.changed" {
            metrics.transition(from: entry.detail["from"] ?? "", to: entry.detail["to"] ?? "")
        }
    }

    static func earliestArmed(_ outcome: WorkflowOutcome) -> Timestamp? {
        outcome.timerChanges.compactMap { if case .arm(_, _, let due) = $0 { due } else { nil } }.min()
    }
}
