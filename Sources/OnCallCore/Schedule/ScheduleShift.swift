/// One technician on call over `[start, end)`, and what put them there.
public struct ScheduleShift: Sendable, Equatable, CustomStringConvertible {
    /// The layer or override a shift comes from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// The rotation of layer `index` (0-based) named `name`.
        case layer(index: Int, name: String)
        /// The schedule's override at `index` (0-based, in the order given).
        case override(index: Int)

        public var description: String {
            switch self {
            case .layer(let index, let name): "layer \(index + 1) (\(name))"
            case .override(let index): "override \(index + 1)"
            }
        }
    }

    public var technician: String
    public var start: Timestamp
    /// Exclusive.
    public var end: Timestamp
    public var source: Source

    public init(technician: String, start: Timestamp, end: Timestamp, source: Source) {
        self.technician = technician
        self.start = start
        self.end = end
        self.source = source
    }

    /// Whether `instant` falls in `[start, end)`.
    public func contains(_ instant: Timestamp) -> Bool { start <= instant && instant < end }

    public var description: String { "\(technician) [\(start), \(end)) from \(source)" }
}
