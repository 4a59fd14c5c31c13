/// Runs a ``WorkflowDefinition``: a pure function from (snapshot, event, now, parameters) to an outcome.
///
/// No clock, no I/O, no `await`: the engine commits the outcome (snapshot, journal, timer rows, outbox rows) in
/// one transaction and only then performs anything. Order within a transition: the source state's exit effects
/// and timer cancellations, the transition's effects, the target's entry effects, then the target's timers are
/// armed (so `layer.delay` reads the layer just paged), then the target's `always` transitions.
public struct WorkflowInterpreter: Sendable {
    public let workflow: WorkflowDefinition

    public init(_ workflow: WorkflowDefinition) {
        self.workflow = workflow
    }

    /// A new incident entering the workflow's initial state.
    public func start(severity: Severity, now: Timestamp, parameters: WorkflowParameters, by actor: String? = nil) -> WorkflowOutcome {
        let empty = IncidentSnapshot(state: workflow.initial, sequence: 0, severity: severity, createdAt: now)
        var run = Run(workflow: workflow, event: nil, actor: actor, now: now, parameters: parameters, snapshot: empty)
        run.snapshot.sequence = 1
        run.journal.append(JournalEntry(kind: "incident.opened", actor: actor, detail: ["state": workflow.initial, "severity": severity.rawValue]))
        run.enter(workflow.initial, from: nil)
        return run.outcome(.applied, original: IncidentSnapshot(state: "", sequence: 0, severity: severity, createdAt: now))
    }

    /// Applies `event` to an incident.
    public func apply(_ event: IncidentEvent, to snapshot: IncidentSnapshot, now: Timestamp, parameters: WorkflowParameters) -> WorkflowOutcome {
        func unchanged(_ disposition: WorkflowOutcome.Disposition) -> WorkflowOutcome {
            WorkflowOutcome(disposition: disposition, snapshot: snapshot, effects: [], timerChanges: [], journal: [])
        }
        guard let state = workflow.state(snapshot.state) else {
            return unchanged(.refused("the incident is in state '\(snapshot.state)', which workflow '\(workflow.name)' does not have"))
        }
        var run = Run(workflow: workflow, event: event, actor: event.actor, now: now, parameters: parameters, snapshot: snapshot)
        run.snapshot.sequence += 1

        if case .force(let target, let reason) = event.kind {
            guard workflow.state(target) != nil else {
                return unchanged(.refused("workflow '\(workflow.name)' has no state '\(target)' (it has \(workflow.states.map(\.name).joined(separator: ", ")))"))
            }
            if state.isFinal {
                return unchanged(.refused("the incident is \(state.name), a final state: it cannot be forced out of it (open a new incident instead)"))
            }
            run.journal.append(JournalEntry(kind: "state.forced", actor: event.actor, detail: ["from": snapshot.state, "to": target, "reason": reason]))
            run.take(TransitionDefinition(guardCondition: nil, target: target, actions: [], location: SourceLocation(file: "ops", line: 0)))
            return run.outcome(.applied, original: snapshot)
        }
        let candidates: [TransitionDefinition]
        if case .timer(let name, let generation) = event.kind {
            guard snapshot.timers[name]?.generation == generation, let timer = workflow.timer(name, in: state.name) else {
                return unchanged(.staleTimer)
            }
            let due = snapshot.timers[name]!.dueAt
            run.snapshot.timers[name] = nil
            // How late it fired is kept with it: ops see it in the timeline, benchmarks read it.
            run.journal.append(JournalEntry(kind: "timer.fired", actor: "system", detail: [
                "timer": name, "due_us": String(due.microseconds), "late_ms": String((now - due).microseconds / 1000),
            ]))
            candidates = timer.then
        } else {
            guard let handlers = state.handlers[event.name] else {
                return unchanged(.refused("\(event.name) is not allowed while the incident is \(state.name)"))
            }
            if handlers.isEmpty { return unchanged(.unchanged) }
            if case .reassign(let target) = event.kind {
                // Reassigning to whoever already has it changes nothing (a repeated request answers 200).
                switch target {
                case .technician(let id) where snapshot.assignee == id && snapshot.state != workflow.initial: return unchanged(.unchanged)
                case .policy(let id) where snapshot.policy == id && snapshot.assignee == nil && snapshot.layer == 1 && snapshot.round == 0: return unchanged(.unchanged)
                default: break
                }
            }
            candidates = handlers
        }

        guard let transition = candidates.first(where: { $0.guardCondition.map(run.holds) ?? true }) else {
            if case .timer = event.kind { return run.outcome(.applied, original: snapshot) }
            return unchanged(.refused("\(event.name) does not apply to this incident now (state \(state.name))"))
        }
        if case .reassign(let target) = event.kind {
            switch target {
            case .technician(let id): run.journal.append(JournalEntry(kind: "incident.reassigned", actor: event.actor, detail: ["technician": id]))
            case .policy(let id):
                run.journal.append(JournalEntry(kind: "incident.reassigned", actor: event.actor, detail: ["policy": id]))
                run.snapshot.policy = id
            }
        }
        run.take(transition)
        return run.outcome(.applied, original: snapshot)
    }
}

/// One event's worth of work on a snapshot.
private struct Run {
    let workflow: WorkflowDefinition
    let event: IncidentEvent?
    let actor: String?
    let now: Timestamp
    let parameters: WorkflowParameters
    var snapshot: IncidentSnapshot
    var effects: [WorkflowEffect] = []
    var journal: [JournalEntry] = []
    /// Timers armed by this event: entry does not arm them a second time.
    var armedNow: Set<String> = []
    var depth = 0

    init(workflow: WorkflowDefinition, event: IncidentEvent?, actor: String?, now: Timestamp, parameters: WorkflowParameters, snapshot: IncidentSnapshot) {
        self.workflow = workflow
        self.event = event
        self.actor = actor
        self.now = now
        self.parameters = parameters
        self.snapshot = snapshot
    }

    func outcome(_ disposition: WorkflowOutcome.Disposition, original: IncidentSnapshot) -> WorkflowOutcome {
        var changes: [TimerChange] = []
        for name in Set(original.timers.keys).union(snapshot.timers.keys).sorted() {
            switch (original.timers[name], snapshot.timers[name]) {
            case (let before, let after?) where before != after:
                changes.append(.arm(name: name, generation: after.generation, dueAt: after.dueAt))
            case (_?, nil):
                changes.append(.cancel(name: name))
            default:
                break
            }
        }
        return WorkflowOutcome(disposition: disposition, snapshot: snapshot, effects: effects, timerChanges: changes, journal: journal)
    }

    mutating func take(_ transition: TransitionDefinition) {
        guard let target = transition.target else {
            perform(transition.actions)
            return
        }
        let source = snapshot.state
        exit(source, to: target)
        journal.append(JournalEntry(kind: "state.changed", actor: actor, detail: ["from": source, "to": target]))
        snapshot.state = target
        perform(transition.actions)
        enter(target, from: source)
    }

    mutating func enter(_ name: String, from source: String?) {
        guard let state = workflow.state(name) else { return }
        snapshot.state = name
        perform(state.entry)
        for timer in state.timers where !armedNow.contains(timer.name) { arm(timer) }
        for timer in workflow.groupTimers where timer.covers(name) && !(source.map(timer.covers) ?? false) && !armedNow.contains(timer.name) {
            arm(timer)
        }
        depth += 1
        guard depth < 16 else {
            journal.append(JournalEntry(kind: "workflow.loop_stopped", actor: "system", detail: ["state": name]))
            return
        }
        if let next = state.always.first(where: { $0.guardCondition.map(holds) ?? true }) {
            take(next)
        }
    }

    mutating func exit(_ name: String, to target: String) {
        guard let state = workflow.state(name) else { return }
        perform(state.exit)
        for timer in state.timers { snapshot.timers[timer.name] = nil }
        for timer in workflow.groupTimers where timer.covers(name) && !timer.covers(target) { snapshot.timers[timer.name] = nil }
    }

    mutating func perform(_ actions: [WorkflowAction]) {
        for action in actions {
            switch action {
            case .pageLayer(let reference):
                page(reference)
            case .publish(let event):
                effects.append(.publish(event))
            case .psa(let operation):
                effects.append(.psa(operation, note: operation == .addNote ? noteText : nil))
            case .journal(let kind):
                journal.append(JournalEntry(kind: kind, actor: actor, detail: noteText.map { ["text": $0] } ?? [:]))
            case .countAlert:
                snapshot.alertCount += 1
                snapshot.lastAlertAt = now
                if case .alert(let severity?)? = event?.kind, severity > snapshot.severity {
                    journal.append(JournalEntry(kind: "severity.raised", actor: actor, detail: ["from": snapshot.severity.rawValue, "to": severity.rawValue]))
                    snapshot.severity = severity
                }
            case .countRepeat:
                snapshot.round += 1
                journal.append(JournalEntry(kind: "escalation.repeated", actor: "system", detail: ["round": String(snapshot.round)]))
            case .markExhausted:
                if !snapshot.exhausted {
                    snapshot.exhausted = true
                    journal.append(JournalEntry(kind: "escalation.exhausted", actor: "system", detail: ["layers": String(parameters.layers.count), "repeats": String(snapshot.round)]))
                }
            case .cancelPages:
                effects.append(.cancelPages)
            case .startTimer(let name), .restartTimer(let name):
                if let timer = workflow.timer(name, in: snapshot.state) { arm(timer) }
            case .cancelTimer(let name):
                snapshot.timers[name] = nil
            case .conditional(let condition, let then, let otherwise):
                perform(holds(condition) ? then : otherwise)
            }
        }
    }

    /// Pages the layer `reference` names; layers with nobody on call are recorded and skipped at once.
    mutating func page(_ reference: LayerReference) {
        var index: Int
        snapshot.assignee = nil
        switch reference {
        case .start:
            snapshot.round = 0
            snapshot.exhausted = false
            switch event?.kind {
            case .escalate(let layer)?:
                index = layer
            case .reassign(.technician(let id))?:
                // The technician instead of a layer; the layer timer then runs with the current layer's delay.
                snapshot.assignee = id
                snapshot.layerCovered = true
                effects.append(.pageTechnician(id))
                journal.append(JournalEntry(kind: "technician.paged", actor: "system", detail: ["technician": id]))
                return
            default:
                index = 1
            }
        case .number(let layer):
            index = layer
            snapshot.round = 0
            snapshot.exhausted = false
        case .first:
            index = 1
        case .next:
            index = snapshot.layer + 1
        }
        index = max(index, 1)
        while index <= parameters.layers.count {
            if parameters.layers[index - 1].covered {
                snapshot.layer = index
                snapshot.layerCovered = true
                effects.append(.page(layer: index, round: snapshot.round))
                journal.append(JournalEntry(kind: "layer.paged", actor: "system", detail: ["layer": String(index), "round": String(snapshot.round)]))
                return
            }
            journal.append(JournalEntry(kind: "layer.uncovered", actor: "system", detail: ["layer": String(index), "round": String(snapshot.round)]))
            index += 1
        }
        // Nobody on call from there to the last layer: the round is over at once (layer.delay reads 0).
        snapshot.layer = parameters.layers.count
        snapshot.layerCovered = false
    }

    mutating func arm(_ timer: TimerDefinition) {
        guard let delay = value(of: timer.delay) else {
            snapshot.timers[timer.name] = nil
            return
        }
        snapshot.timers[timer.name] = .init(generation: snapshot.sequence, dueAt: now + delay)
        armedNow.insert(timer.name)
    }

    func value(of delay: DelayExpression) -> Duration? {
        switch delay {
        case .literal(let duration):
            return duration
        case .parameter(.layerDelay):
            // Layer 0 only with an assignee paged before any layer: they get the first layer's delay.
            let layer = max(snapshot.layer, 1)
            guard snapshot.layerCovered, layer <= parameters.layers.count else { return .zero }
            return parameters.layers[layer - 1].delay
        case .parameter(.ackTimeout):
            return parameters.ackTimeout
        case .parameter(.autoResolve):
            return parameters.autoResolve
        case .parameter(.maintenanceRemaining):
            return parameters.maintenanceRemaining
        case .parameter(.snoozeDuration):
            if case .snooze(let duration)? = event?.kind { return duration }
            return nil
        }
    }

    func holds(_ condition: WorkflowGuard) -> Bool {
        switch condition {
        case .nextLayerExists: return snapshot.layer < parameters.layers.count
        case .repeatsLeft: return snapshot.round < parameters.repeatCount
        case .requestedLayerExists:
            if case .escalate(let layer)? = event?.kind { return layer >= 1 && layer <= parameters.layers.count }
            return false
        case .shouldPage: return parameters.shouldPage
        case .severity(let set): return set.contains(snapshot.severity)
        case .not(let inner): return !holds(inner)
        case .all(let all): return all.allSatisfy(holds)
        case .any(let any): return any.contains(where: holds)
        }
    }

    var noteText: String? {
        if case .note(let text)? = event?.kind { return text }
        return nil
    }
}
