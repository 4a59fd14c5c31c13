/// What applying one event did: the new snapshot and everything that must be committed with it.
public struct WorkflowOutcome: Sendable, Equatable {
    public enum Disposition: Sendable, Equatable {
        /// The event changed the incident.
        case applied
        /// Accepted, nothing to do (for example acknowledging an acknowledged incident).
        case unchanged
        /// The current state does not allow it; the message names the state.
        case refused(String)
        /// A timer that was cancelled or re-armed since; ignored.
        case staleTimer
    }

    public var disposition: Disposition
    public var snapshot: IncidentSnapshot
    /// Side effects for the outbox, in order.
    public var effects: [WorkflowEffect]
    /// Timer rows to write: armed (insert or replace) or cancelled (delete), at most one change per name.
    public var timerChanges: [TimerChange]
    /// Timeline entries, in order.
    public var journal: [JournalEntry]

    public init(disposition: Disposition, snapshot: IncidentSnapshot, effects: [WorkflowEffect], timerChanges: [TimerChange], journal: [JournalEntry]) {
        self.disposition = disposition
        self.snapshot = snapshot
        self.effects = effects
        self.timerChanges = timerChanges
        self.journal = journal
    }
}

/// A side effect that leaves only through the outbox.
public enum WorkflowEffect: Sendable, Equatable {
    /// Notify whoever is on call for this layer (1-based) in this round (0 = first pass).
    case page(layer: Int, round: Int)
    /// Notify one technician, whom a reassignment named.
    case pageTechnician(String)
    case publish(LifecycleEvent)
    /// A PSA call; `note` carries the text for `add_note`.
    case psa(PSAOperation, note: String?)
    /// Drop pages not sent yet: those waiting on a notification-rule delay and those waiting to be retried.
    case cancelPages
}

public enum TimerChange: Sendable, Equatable {
    case arm(name: String, generation: Int64, dueAt: Timestamp)
    case cancel(name: String)
}

/// One line of an incident's timeline.
public struct JournalEntry: Sendable, Equatable, Codable {
    public var kind: String
    public var actor: String?
    public var detail: [String: String]

    public init(kind: String, actor: String? = nil, detail: [String: String] = [:]) {
        self.kind = kind
        self.actor = actor
        self.detail = detail
    }
}
