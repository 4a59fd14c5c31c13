/// A workflow as loaded from `workflows/NAME.yaml`: states, the events they handle, timers, guards and effects.
///
/// Build one with ``WorkflowLoader``, which refuses a file that names an unknown state, event, effect, guard or
/// parameter, leaves a state unreachable, has no final state, or puts a timer on a final state.
/// docs/workflows.md describes the file format.
public struct WorkflowDefinition: Sendable {
    public let name: String
    /// The state a new incident starts in.
    public let initial: String
    /// States in file order.
    public let states: [StateDefinition]
    /// Timers that span several states (armed on entering the group, cancelled on leaving it).
    public let groupTimers: [TimerDefinition]
    /// Where it was loaded from, for messages.
    public let source: String

    public func state(_ name: String) -> StateDefinition? { states.first { $0.name == name } }

    /// The timer named `name` that is live in `state`: the state's own, else a group timer covering it.
    public func timer(_ name: String, in state: String) -> TimerDefinition? {
        self.state(state)?.timers.first { $0.name == name } ?? groupTimers.first { $0.name == name && $0.covers(state) }
    }

    /// Every timer live in `state`.
    public func timers(in state: String) -> [TimerDefinition] {
        (self.state(state)?.timers ?? []) + groupTimers.filter { $0.covers(state) }
    }
}

/// Where something was written: `file:line`.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

public struct StateDefinition: Sendable {
    public let name: String
    public let isFinal: Bool
    public let entry: [WorkflowAction]
    public let exit: [WorkflowAction]
    /// Timers of this state: armed on entry (when their duration has a value), cancelled on exit.
    public let timers: [TimerDefinition]
    /// Eventless transitions, checked in order after entering the state.
    public let always: [TransitionDefinition]
    /// What each event does here, first matching transition wins. An event with an empty list is accepted and
    /// changes nothing (a repeat of an action already applied); an event absent from the map is refused.
    public let handlers: [String: [TransitionDefinition]]
    public let location: SourceLocation
}

public struct TimerDefinition: Sendable {
    public let name: String
    public let delay: DelayExpression
    /// For group timers: the states during which it runs. Nil for a state's own timer.
    public let during: Set<String>?
    /// What happens when it fires, first matching transition wins.
    public let then: [TransitionDefinition]
    public let location: SourceLocation

    func covers(_ state: String) -> Bool { during?.contains(state) ?? false }
}

/// A timer's duration: written out, or a parameter whose value comes from the service, policy or event.
public enum DelayExpression: Sendable, Equatable, CustomStringConvertible {
    case literal(Duration)
    case parameter(WorkflowParameter)

    public var description: String {
        switch self {
        case .literal(let d): DurationText.format(d)
        case .parameter(let p): p.rawValue
        }
    }
}

/// The named durations a workflow may use.
public enum WorkflowParameter: String, Sendable, CaseIterable {
    /// The delay of the escalation layer paged last (0 when the last page found nobody on call up to the end).
    case layerDelay = "layer.delay"
    /// The service's acknowledgement timeout; unset: the timer is not armed.
    case ackTimeout = "service.ack_timeout"
    /// The service's auto-resolve delay; unset: the timer is not armed.
    case autoResolve = "service.auto_resolve"
    /// The duration asked for by the snooze event.
    case snoozeDuration = "snooze.duration"
    /// How long until a running maintenance window ends; unset outside a window: the timer is not armed.
    case maintenanceRemaining = "service.maintenance_remaining"
}

public struct TransitionDefinition: Sendable {
    public let guardCondition: WorkflowGuard?
    /// The state to go to; nil keeps the state (no exit, no entry, timers untouched).
    public let target: String?
    public let actions: [WorkflowAction]
    public let location: SourceLocation
}

/// A condition on a transition or a conditional action.
public indirect enum WorkflowGuard: Sendable, Equatable {
    /// The escalation policy has a layer after the one paged last.
    case nextLayerExists
    /// Fewer rounds than the policy's `repeat` have been started again.
    case repeatsLeft
    /// The layer an `escalate` event asks for exists in the policy.
    case requestedLayerExists
    /// The service wants this incident to page now (its severity is urgent enough, no maintenance window).
    case shouldPage
    /// The incident's severity is one of these.
    case severity(Set<Severity>)
    case not(WorkflowGuard)
    case all([WorkflowGuard])
    case any([WorkflowGuard])

    static let named: [String: WorkflowGuard] = [
        "next_layer_exists": .nextLayerExists,
        "repeats_left": .repeatsLeft,
        "requested_layer_exists": .requestedLayerExists,
        "should_page": .shouldPage,
    ]
}

/// Which escalation layer `page_layer` pages.
public enum LayerReference: Sendable, Equatable {
    /// Begin escalating: the layer an `escalate` event asks for, else layer 1; the round count starts at 0.
    case start
    /// Layer 1 again (a repeat round).
    case first
    /// The layer after the one paged last.
    case next
    /// A fixed layer (1-based); the round count starts at 0.
    case number(Int)
}

/// The lifecycle events published to the Hub.
public enum LifecycleEvent: String, Sendable, CaseIterable, Codable {
    case created = "incident.created"
    case acknowledged = "incident.acknowledged"
    case resolved = "incident.resolved"
    case escalated = "incident.escalated"
    case noteAdded = "incident.note_added"
}

/// What the PSA is asked to do.
public enum PSAOperation: String, Sendable, CaseIterable, Codable {
    case createTicket = "create_ticket"
    case addNote = "add_note"
    case resolveTicket = "resolve_ticket"
}

/// Effects and bookkeeping a transition performs, in order.
public indirect enum WorkflowAction: Sendable, Equatable {
    /// Page an escalation layer; a layer with nobody on call is recorded as uncovered and the next one is tried.
    case pageLayer(LayerReference)
    case publish(LifecycleEvent)
    case psa(PSAOperation)
    /// A timeline entry of this kind.
    case journal(String)
    /// Count another alert on this incident (deduplication).
    case countAlert
    /// Count a repeat round of the escalation policy.
    case countRepeat
    /// Record that escalation ran out of layers and repeats (`escalation.exhausted`).
    case markExhausted
    /// Cancel notifications still waiting on a notification-rule delay.
    case cancelPages
    /// Arm a timer (its duration must have a value), replacing it if armed.
    case startTimer(String)
    /// The same as start; reads better where a running timer is pushed back.
    case restartTimer(String)
    case cancelTimer(String)
    case conditional(WorkflowGuard, then: [WorkflowAction], otherwise: [WorkflowAction])
}

/// The events an incident can receive, besides its timers.
public enum WorkflowEventName: String, Sendable, CaseIterable {
    case alert, acknowledge, unacknowledge, resolve, note, escalate, snooze, reassign
}
