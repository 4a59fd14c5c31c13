/// Who is paged, in which order, and how long each layer has to acknowledge.
public struct EscalationPolicy: Sendable, Equatable {
    public var id: String
    public var name: String
    /// After the last layer, start again at layer 1 this many times.
    public var repeatCount: Int
    public var layers: [EscalationLayer]

    public init(id: String, name: String, repeatCount: Int = 0, layers: [EscalationLayer] = []) {
        self.id = id
        self.name = name
        self.repeatCount = repeatCount
        self.layers = layers
    }
}

public struct EscalationLayer: Sendable, Equatable {
    /// How long this layer has to acknowledge before the next is paged.
    public var delay: Duration
    public var targets: [EscalationTarget]

    public init(delay: Duration, targets: [EscalationTarget]) {
        self.delay = delay
        self.targets = targets
    }
}

/// A technician, or whoever a schedule has on call when the layer is paged.
public enum EscalationTarget: Sendable, Equatable, Hashable {
    case technician(String)
    case schedule(String)

    public var kind: String {
        switch self {
        case .technician: "technician"
        case .schedule: "schedule"
        }
    }

    public var id: String {
        switch self {
        case .technician(let id), .schedule(let id): id
        }
    }
}
