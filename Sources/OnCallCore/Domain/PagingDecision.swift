/// Whether a service pages for an incident now: severity decides urgency, maintenance windows keep it quiet.
public struct PagingDecision: Sendable, Equatable {
    /// Page now (the workflow's `should_page`).
    public var shouldPage: Bool
    /// Quiet because of a maintenance window that ends at this instant (overlapping and touching windows merged).
    public var quietUntil: Timestamp?
    /// Why it does not page, for the timeline.
    public var reason: String?

    /// A window as instants: `[start, end)`.
    public struct Window: Sendable, Equatable {
        public var start: Timestamp
        public var end: Timestamp
        public init(start: Timestamp, end: Timestamp) {
            self.start = start
            self.end = end
        }
    }

    /// `low` and `info` page no one unless `pageLowSeverity`; during a window nothing pages until it ends.
    public static func decide(severity: Severity, pageLowSeverity: Bool, windows: [Window], now: Timestamp) -> PagingDecision {
        if severity <= .low && !pageLowSeverity {
            return PagingDecision(shouldPage: false, quietUntil: nil, reason: "\(severity.rawValue) severity pages no one on this service")
        }
        var end: Timestamp?
        for window in windows.sorted(by: { $0.start < $1.start }) {
            if let current = end {
                if window.start <= current { end = max(current, window.end) }
            } else if window.start <= now && now < window.end {
                end = window.end
            }
        }
        if let end {
            return PagingDecision(shouldPage: false, quietUntil: end, reason: "maintenance window until \(end)")
        }
        return PagingDecision(shouldPage: true, quietUntil: nil, reason: nil)
    }
}
