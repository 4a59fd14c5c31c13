import Testing
@testable import OnCallCore

/// Per-integration rate limits, driven by a manual clock.
@Suite("Token bucket")
struct TokenBucketTests {
    let start = Timestamp(secondsSince1970: 1_800_000_000)

    @Test func aBurstIsServedThenRequestsWaitForTheRate() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3, now: start)
        #expect((0..<3).allSatisfy { _ in bucket.take(now: start) == nil })
        let wait = bucket.take(now: start)
        #expect(wait == .milliseconds(100), "one token every 100 ms at 10/s")
        #expect(bucket.take(now: start + .milliseconds(99)) != nil)
        #expect(bucket.take(now: start + .milliseconds(100)) == nil)
    }

    @Test func idleTimeRefillsUpToTheBurstOnly() {
        var bucket = TokenBucket(ratePerSecond: 5, burst: 2, now: start)
        _ = bucket.take(now: start)
        _ = bucket.take(now: start)
        let later = start + .seconds(60)
        #expect(bucket.take(now: later) == nil && bucket.take(now: later) == nil)
        #expect(bucket.take(now: later) != nil, "a minute idle refills two tokens, not three hundred")
    }

    @Test func aClockGoingBackwardsGrantsNothing() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 1, now: start)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start + .seconds(-30)) != nil)
    }
}
