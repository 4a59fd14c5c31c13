/// Something alerts are about (a customer's endpoints, their backups): it names the policy that pages and the
/// workflow its incidents follow.
public struct Service: Sendable, Equatable {
    public var id: String
    public var name: String
    public var escalationPolicy: String
    public var workflow: String
    /// Acknowledged too long without resolution: escalate again.
    public var ackTimeout: Duration?
    /// For sources that never send a recovery.
    public var autoResolve: Duration?
    /// `low` and `info` incidents page no one unless this is true.
    public var pageLowSeverity: Bool
    public var maintenanceWindows: [MaintenanceWindow]

    public init(
        id: String, name: String, escalationPolicy: String, workflow: String = "incident", ackTimeout: Duration? = nil,
        autoResolve: Duration? = nil, pageLowSeverity: Bool = false, maintenanceWindows: [MaintenanceWindow] = []
    ) {
        self.id = id
        self.name = name
        self.escalationPolicy = escalationPolicy
        self.workflow = workflow
        self.ackTimeout = ackTimeout
        self.autoResolve = autoResolve
        self.pageLowSeverity = pageLowSeverity
        self.maintenanceWindows = maintenanceWindows
    }
}

/// A planned quiet period: alerts become incidents but page no one until it ends.
public struct MaintenanceWindow: Sendable, Equatable {
    public var start: LocalDateTime
    public var end: LocalDateTime
    /// IANA time zone the wall-clock start and end are in.
    public var timeZone: String

    public init(start: LocalDateTime, end: LocalDateTime, timeZone: String) {
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }
}

/// An inbound door: a monitoring tool's webhook, or a read-only key for the Bridge and Search APIs.
public struct Integration: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable, Codable {
        case generic, nagios, icinga, zabbix, datadog, pagerduty, alertmanager, grafana, heartbeat, bridge

        /// Every kind but `bridge` delivers alerts to a service.
        public var needsService: Bool { self != .bridge }
    }

    /// Alertmanager and Grafana: one incident per notification group, or per alert fingerprint.
    public enum Grouping: String, Sendable, Equatable, CaseIterable, Codable {
        case perGroup = "per_group"
        case perAlert = "per_alert"
    }

    /// Requests a second each node accepts from one integration, sustained, and the burst above it.
    public static let defaultRatePerSecond = 200
    public static let defaultBurst = 2_000

    public var id: String
    public var type: Kind
    /// The service its alerts open incidents on (nil for `bridge`).
    public var service: String?
    /// A key given in the configuration file (otherwise one is generated and shown once). Never read back.
    public var key: String?
    /// Nil: per group.
    public var grouping: Grouping?
    /// Nil: ``defaultRatePerSecond``.
    public var ratePerSecond: Int?
    /// Nil: ``defaultBurst``.
    public var burst: Int?
    /// Heartbeats: the longest expected gap between check-ins, and the slack after it before an incident opens.
    public var interval: Duration?
    public var grace: Duration?

    public init(
        id: String, type: Kind, service: String?, key: String? = nil, grouping: Grouping? = nil, ratePerSecond: Int? = nil, burst: Int? = nil,
        interval: Duration? = nil, grace: Duration? = nil
    ) {
        self.id = id
        self.type = type
        self.service = service
        self.key = key
        self.grouping = grouping
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.interval = interval
        self.grace = grace
    }
}
