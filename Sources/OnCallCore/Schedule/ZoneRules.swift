internal import Foundation

/// The UTC offsets of one IANA time zone: wall-clock times to instants and back.
///
/// A wall-clock time skipped by a DST change (spring forward) maps to the first instant after the gap, the
/// transition itself: in Europe/Paris, 2026-03-29T02:30 is 03:00 CEST (01:00Z). A wall-clock time that occurs
/// twice (fall back) maps to the earlier occurrence: 2026-10-25T02:30 is 02:30 CEST (00:30Z).
public struct ZoneRules: Sendable, Equatable, CustomStringConvertible {
    /// The IANA identifier, as given (`Europe/Paris`).
    public let identifier: String
    private let zone: TimeZone

    /// The rules of the zone named `identifier`; nil when the system time zone database does not know it.
    public init?(identifier: String) {
        guard !identifier.isEmpty, let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    public var description: String { identifier }

    /// The instant a wall-clock time in this zone denotes (skipped times move to the end of the gap,
    /// repeated times take the earlier occurrence).
    public func instant(of local: LocalDateTime) -> Timestamp {
        Timestamp(secondsSince1970: utcSeconds(localSeconds: local.localSeconds))
    }

    /// The wall-clock time in this zone at `instant`, to the second (fractions dropped); nil outside years 1–9999.
    public func localDateTime(at instant: Timestamp) -> LocalDateTime? {
        LocalDateTime(localSeconds: localSeconds(utcSeconds: CivilDay.floorDiv(instant.microseconds, 1_000_000)))
    }

    /// Seconds east of UTC in effect at `instant` (7200 for Paris in summer).
    public func offsetSeconds(at instant: Timestamp) -> Int {
        Int(offset(CivilDay.floorDiv(instant.microseconds, 1_000_000)))
    }

    /// Wall-clock seconds (since 1970-01-01T00:00 local, days of 86,400 s) at UTC second `utc`.
    func localSeconds(utcSeconds utc: Int64) -> Int64 {
        utc + offset(utc)
    }

    /// The UTC second a wall-clock second denotes, with the gap and overlap rules above.
    ///
    /// The offsets a day before and a day after bracket the (at most one) transition near `local`; each gives a
    /// candidate instant, valid when the offset in effect there agrees. Both valid: the overlap, take the
    /// earlier. Neither: the gap, whose end is found by bisection between the two candidates.
    func utcSeconds(localSeconds local: Int64) -> Int64 {
        let before = offset(local - CivilDay.secondsPerDay)
        let after = offset(local + CivilDay.secondsPerDay)
        let early = local - max(before, after)
        let late = local - min(before, after)
        if offset(early) == local - early { return early }
        if offset(late) == local - late { return late }
        // In the gap: offset(low) is the old offset, offset(high) the new one; find the first second of the new.
        var low = early
        var high = late
        let newOffset = offset(high)
        guard low < high else { return late }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(middle) == newOffset { high = middle } else { low = middle }
        }
        return high
    }

    private func offset(_ utc: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc))))
    }
}
