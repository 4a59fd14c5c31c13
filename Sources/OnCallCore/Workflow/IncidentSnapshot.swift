/// What the workflow knows about one incident: the durable part of its state, stored on the incident row.
public struct IncidentSnapshot: Sendable, Equatable, Codable {
    /// A timer that is armed: it fires at `dueAt` unless cancelled; `generation` tells a late firing from a live one.
    public struct ArmedTimer: Sendable, Equatable, Codable {
        public var generation: Int64
        public var dueAt: Timestamp
        public init(generation: Int64, dueAt: Timestamp) {
            self.generation = generation
            self.dueAt = dueAt
        }
    }

    public var state: String
    /// Bumped by every event that changes something; timers armed by that change carry it as their generation.
    public var sequence: Int64
    public var severity: Severity
    /// The escalation layer paged last (1-based; 0 before any page).
    public var layer: Int
    /// False when the last `page_layer` found nobody on call from its layer to the end of the policy.
    public var layerCovered: Bool
    /// Repeat rounds started (0 during the first pass through the layers).
    public var round: Int
    /// True once escalation ran out of layers and repeats without an acknowledgement.
    public var exhausted: Bool
    /// Alerts folded into this incident (the first included).
    public var alertCount: Int
    public var lastAlertAt: Timestamp
    public var timers: [String: ArmedTimer]
    /// The technician a reassignment paged directly (cleared when escalation pages a layer again).
    public var assignee: String?
    /// The escalation policy a reassignment moved the incident to, instead of its service's.
    public var policy: String?

    public init(state: String, sequence: Int64 = 0, severity: Severity, createdAt: Timestamp) {
        self.state = state
        self.sequence = sequence
        self.severity = severity
        self.layer = 0
        self.layerCovered = true
        self.round = 0
        self.exhausted = false
        self.alertCount = 1
        self.lastAlertAt = createdAt
        self.timers = [:]
    }
}

/// Something that happens to an incident: a person's action, another alert, or one of its timers.
public struct IncidentEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The same dedup key triggered again, at this severity (a higher one raises the incident's).
        case alert(severity: Severity? = nil)
        case acknowledge
        case unacknowledge
        case resolve
        case note(String)
        /// Escalate to this layer (1-based) now.
        case escalate(layer: Int)
        /// Hand the incident to a technician (paged now; the policy goes on from the current layer if they do not
        /// acknowledge) or to another escalation policy (paged from its first layer).
        case reassign(ReassignTarget)
        case snooze(Duration)
        /// Ops moving a stuck incident to a state by hand, whatever its handlers say: the source state's exit and the
        /// target's entry run as in any transition (docs/ops.md).
        case force(state: String, reason: String)
        /// A timer fired; `generation` is the one it was armed with.
        case timer(name: String, generation: Int64)
    }

    public var kind: Kind
    /// Who did it (`technician:alice`, `integration:nagios-core`, `system`); recorded in the journal.
    public var actor: String?

    public init(_ kind: Kind, by actor: String? = nil) {
        self.kind = kind
        self.actor = actor
    }

    /// The name handlers are declared under (`on: acknowledge:`), or the timer's name.
    public var name: String {
        switch kind {
        case .alert: WorkflowEventName.alert.rawValue
        case .acknowledge: WorkflowEventName.acknowledge.rawValue
        case .unacknowledge: WorkflowEventName.unacknowledge.rawValue
        case .resolve: WorkflowEventName.resolve.rawValue
        case .note: WorkflowEventName.note.rawValue
        case .escalate: WorkflowEventName.escalate.rawValue
        case .reassign: WorkflowEventName.reassign.rawValue
        case .force: "force"
        case .snooze: WorkflowEventName.snooze.rawValue
        case .timer(let name, _): name
        }
    }
}

/// Whom a reassignment hands the incident to.
public enum ReassignTarget: Sendable, Equatable {
    case technician(String)
    case policy(String)
}

/// The values a workflow's parameters and guards read, from the incident's service and escalation policy.
public struct WorkflowParameters: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        /// How long this layer has to acknowledge before the next is paged.
        public var delay: Duration
        /// Whether anyone is on call for this layer now (the engine resolves schedules when the event happens).
        public var covered: Bool
        public init(delay: Duration, covered: Bool = true) {
            self.delay = delay
            self.covered = covered
        }
    }

    public var layers: [Layer]
    /// How many times the policy starts again at layer 1 after its last layer.
    public var repeatCount: Int
    public var ackTimeout: Duration?
    public var autoResolve: Duration?
    /// Whether the service pages for this incident now (severity urgent enough, no maintenance window).
    public var shouldPage: Bool
    /// While a maintenance window runs: how long until it ends (and paging may start).
    public var maintenanceRemaining: Duration?

    public init(
        layers: [Layer], repeatCount: Int = 0, ackTimeout: Duration? = nil, autoResolve: Duration? = nil, shouldPage: Bool = true,
        maintenanceRemaining: Duration? = nil
    ) {
        self.layers = layers
        self.repeatCount = repeatCount
        self.ackTimeout = ackTimeout
        self.autoResolve = autoResolve
        self.shouldPage = shouldPage
        self.maintenanceRemaining = maintenanceRemaining
    }
}
