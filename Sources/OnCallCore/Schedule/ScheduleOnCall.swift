/// Who is on call in one schedule at one instant, layer by layer, and who wins.
public struct ScheduleOnCall: Sendable, Equatable {
    /// One layer's answer at the instant.
    public struct Layer: Sendable, Equatable {
        /// 0-based position in the schedule; a higher index wins.
        public var index: Int
        public var name: String
        /// The member's current turn, clipped to the restriction window containing the instant; nil when the
        /// layer has nobody on call (before its first handoff, outside its restrictions, or no members).
        public var shift: ScheduleShift?

        public init(index: Int, name: String, shift: ScheduleShift?) {
            self.index = index
            self.name = name
            self.shift = shift
        }

        public var technician: String? { shift?.technician }
    }

    public var instant: Timestamp
    public var layers: [Layer]
    /// The override in effect (the last one given when several overlap), with its full start and end.
    public var override: ScheduleShift?
    /// The technician on call: the override's, else that of the last layer with someone on call; nil for nobody.
    public var technician: String?
    /// What put ``technician`` on call.
    public var source: ScheduleShift.Source?

    public init(instant: Timestamp, layers: [Layer], override: ScheduleShift?) {
        self.instant = instant
        self.layers = layers
        self.override = override
        let winner = override ?? layers.last(where: { $0.shift != nil })?.shift
        self.technician = winner?.technician
        self.source = winner?.source
    }
}
