/// One layer's rotation as arithmetic: turn `n` starts at handoff + n × length and belongs to
/// `members[n mod count]`; restrictions cut turns into the pieces inside their windows.
///
/// Instants are microseconds since 1970 (UTC); wall-clock times are "local seconds" (seconds since
/// 1970-01-01T00:00 wall-clock, days of 86,400 s), converted through ``ZoneRules``.
struct LayerTimeline: Sendable {
    enum Step: Sendable, Equatable {
        /// Elapsed time, in microseconds.
        case elapsed(Int64)
        /// Calendar days: the same wall-clock time `n` days later.
        case calendarDays(Int64)
    }

    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400_000_000

    let index: Int
    let name: String
    let members: [String]
    let step: Step
    let restrictions: [Restriction]
    let zone: ZoneRules
    /// Wall-clock handoff, local seconds.
    let handoffLocal: Int64
    /// Start of turn 0, microseconds.
    let firstStart: Int64

    init(index: Int, layer: ScheduleLayer, step: Step, zone: ZoneRules) {
        self.index = index
        self.name = layer.name
        self.members = layer.members
        self.step = step
        self.restrictions = layer.restrictions
        self.zone = zone
        self.handoffLocal = layer.handoff.localSeconds
        self.firstStart = zone.utcSeconds(localSeconds: handoffLocal) * Self.microsPerSecond
    }

    var source: ScheduleShift.Source { .layer(index: index, name: name) }

    /// Start of turn `n` (n ≥ 0), microseconds.
    func turnStart(_ n: Int64) -> Int64 {
        switch step {
        case .elapsed(let length):
            firstStart + n * length
        case .calendarDays(let days):
            zone.utcSeconds(localSeconds: handoffLocal + n * days * CivilDay.secondsPerDay) * Self.microsPerSecond
        }
    }

    /// The turn containing `t`, nil before the first handoff. Constant time: a division, then (calendar
    /// steps only) a correction of at most a turn or two for the UTC offset.
    func turnIndex(at t: Int64) -> Int64? {
        guard t >= firstStart else { return nil }
        switch step {
        case .elapsed(let length):
            return (t - firstStart) / length
        case .calendarDays(let days):
            let local = zone.localSeconds(utcSeconds: CivilDay.floorDiv(t, Self.microsPerSecond))
            var n = max(0, CivilDay.floorDiv(local - handoffLocal, days * CivilDay.secondsPerDay))
            while n > 0 && turnStart(n) > t { n -= 1 }
            while turnStart(n + 1) <= t { n += 1 }
            return n
        }
    }

    func member(_ n: Int64) -> String {
        members[Int(CivilDay.floorMod(n, Int64(members.count)))]
    }

    func shift(_ n: Int64, _ start: Int64, _ end: Int64) -> ScheduleShift {
        ScheduleShift(technician: member(n), start: Timestamp(microseconds: start), end: Timestamp(microseconds: end), source: source)
    }

    /// The piece of a turn containing `t`: the whole turn, or with restrictions its part inside the window
    /// containing `t` (windows that touch count as one). Nil when nobody is on call.
    func piece(at t: Int64) -> ScheduleShift? {
        guard !members.isEmpty, let n = turnIndex(at: t) else { return nil }
        let start = turnStart(n)
        let end = turnStart(n + 1)
        guard !restrictions.isEmpty else { return shift(n, start, end) }
        // Widen the search until the window containing t is not cut by the search range (or by the turn).
        var back = 2 * Self.microsPerDay
        var ahead = 2 * Self.microsPerDay
        while true {
            let low = max(start, t - back)
            let high = min(end, t + ahead)
            guard let window = windows(from: low, to: high).first(where: { $0.contains(t) }) else { return nil }
            let cutBefore = window.lowerBound == low && low > start
            let cutAfter = window.upperBound == high && high < end
            guard cutBefore || cutAfter else { return shift(n, window.lowerBound, window.upperBound) }
            if cutBefore { back *= 4 }
            if cutAfter { ahead *= 4 }
        }
    }

    /// The pieces in `[from, to)`, clipped to it, in order; consecutive pieces are not merged.
    ///
    /// Stops after `limit` turns or pieces; `complete` is the instant up to which the list is whole (`to`
    /// unless it stopped early).
    func pieces(from: Int64, to: Int64, limit: Int) -> (pieces: [ScheduleShift], complete: Int64) {
        guard !members.isEmpty, from < to else { return ([], to) }
        var n: Int64
        if let first = turnIndex(at: from) {
            n = first
        } else {
            n = 0
        }
        let windows = restrictions.isEmpty ? [] : windows(from: from, to: to)
        var nextWindow = 0
        var pieces: [ScheduleShift] = []
        var turns = 0
        var start = turnStart(n)
        while start < to {
            let end = turnStart(n + 1)
            let low = max(start, from)
            let high = min(end, to)
            if restrictions.isEmpty {
                pieces.append(shift(n, low, high))
            } else {
                while nextWindow < windows.count && windows[nextWindow].upperBound <= low { nextWindow += 1 }
                var w = nextWindow
                while w < windows.count && windows[w].lowerBound < high {
                    pieces.append(shift(n, max(low, windows[w].lowerBound), min(high, windows[w].upperBound)))
                    w += 1
                }
            }
            turns += 1
            if (turns >= limit || pieces.count >= limit) && high < to { return (pieces, high) }
            n += 1
            start = end
        }
        return (pieces, to)
    }

    /// The restriction windows overlapping `[from, to)` as instants, clipped to it, sorted, touching or
    /// overlapping windows merged.
    func windows(from: Int64, to: Int64) -> [Range<Int64>] {
        guard from < to else { return [] }
        // A window starts on its own day and ends by the end of the next, so start a day early (and one more
        // for the UTC offset); end a day late for the offset.
        let firstDay = CivilDay.floorDiv(zone.localSeconds(utcSeconds: CivilDay.floorDiv(from, Self.microsPerSecond)), CivilDay.secondsPerDay) - 2
        let lastDay = CivilDay.floorDiv(zone.localSeconds(utcSeconds: CivilDay.floorDiv(to, Self.microsPerSecond)), CivilDay.secondsPerDay) + 1
        var found: [Range<Int64>] = []
        for day in firstDay...lastDay {
            let weekday = CivilDay.weekday(day)
            let midnight = day * CivilDay.secondsPerDay
            for restriction in restrictions where restriction.days.contains(weekday) {
                let startLocal = midnight + Int64(restriction.from.minutesSinceMidnight * 60)
                let endDay = restriction.to <= restriction.from ? midnight + CivilDay.secondsPerDay : midnight
                let endLocal = endDay + Int64(restriction.to.minutesSinceMidnight * 60)
                let start = max(from, zone.utcSeconds(localSeconds: startLocal) * Self.microsPerSecond)
                let end = min(to, zone.utcSeconds(localSeconds: endLocal) * Self.microsPerSecond)
                if start < end { found.append(start..<end) }
            }
        }
        found.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int64>] = []
        for window in found {
            if let last = merged.last, window.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, window.upperBound)
            } else {
                merged.append(window)
            }
        }
        return merged
    }
}
