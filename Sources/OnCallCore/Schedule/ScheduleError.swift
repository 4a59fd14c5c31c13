/// Why a schedule cannot be resolved: its code, the schedule, the layer at fault if any, and a plain message.
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unknownTimeZone = "unknown time zone"
            case invalidRotation = "invalid rotation"
        }

        private let base: Base

        /// The schedule's `time_zone` is not an IANA zone the system knows.
        public static let unknownTimeZone = Code(base: .unknownTimeZone)
        /// A layer's custom rotation length is not positive, or is longer than ten years.
        public static let invalidRotation = Code(base: .invalidRotation)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var scheduleID: String
    /// Index of the layer at fault (0-based), nil for the schedule itself.
    public var layer: Int?
    public var message: String

    public init(code: Code, scheduleID: String, layer: Int? = nil, message: String) {
        self.code = code
        self.scheduleID = scheduleID
        self.layer = layer
        self.message = message
    }

    public var description: String {
        "schedule \(scheduleID)" + (layer.map { " layer \($0 + 1)" } ?? "") + ": " + message
    }
}
