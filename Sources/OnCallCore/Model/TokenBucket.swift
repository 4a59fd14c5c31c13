/// A token bucket: `rate` tokens a second up to `capacity`; each request takes one. Pure: time is a parameter.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let capacity: Double
    public private(set) var tokens: Double
    public private(set) var updated: Timestamp

    public init(ratePerSecond: Int, burst: Int, now: Timestamp) {
        rate = Double(max(ratePerSecond, 1))
        capacity = Double(max(burst, 1))
        tokens = capacity
        updated = now
    }

    /// Takes a token if one is there (nil), else says how long until one will be (for `Retry-After`).
    public mutating func take(now: Timestamp) -> Duration? {
        let elapsed = Double(max(now.microseconds - updated.microseconds, 0)) / 1_000_000
        tokens = min(capacity, tokens + elapsed * rate)
        updated = max(updated, now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return .microseconds(Int64(((1 - tokens) / rate * 1_000_000).rounded(.up)))
    }
}
