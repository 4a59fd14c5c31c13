import Testing
@testable import OnCallCore

/// Wall-clock times to instants and back across DST changes, and calendar day arithmetic.
@Suite("Zoned time")
struct ZonedTimeTests {
    let paris = ZoneRules(identifier: "Europe/Paris")!
    let newYork = ZoneRules(identifier: "America/New_York")!

    func instant(_ zone: ZoneRules, _ local: String) -> Timestamp { zone.instant(of: ScheduleFixtures.local(local)) }
    func utc(_ text: String) -> Timestamp { ScheduleFixtures.utc(text) }

    @Test func unknownZonesAreRefused() {
        #expect(ZoneRules(identifier: "Mars/Olympus_Mons") == nil)
        #expect(ZoneRules(identifier: "") == nil)
        #expect(ZoneRules(identifier: "Europe/Paris")?.identifier == "Europe/Paris")
        #expect(ZoneRules(identifier: "UTC") != nil)
    }

    @Test func parisSpringForwardSkipsTwoOClock() {
        #expect(instant(paris, "2026-03-29T01:59") == utc("2026-03-29T00:59Z"))
        #expect(instant(paris, "2026-03-29T02:00") == utc("2026-03-29T01:00Z"), "skipped: the end of the gap")
        #expect(instant(paris, "2026-03-29T02:30") == utc("2026-03-29T01:00Z"), "skipped: 03:00 CEST")
        #expect(instant(paris, "2026-03-29T02:59:59") == utc("2026-03-29T01:00Z"))
        #expect(instant(paris, "2026-03-29T03:00") == utc("2026-03-29T01:00Z"))
        #expect(instant(paris, "2026-03-29T03:30") == utc("2026-03-29T01:30Z"))
        #expect(paris.offsetSeconds(at: utc("2026-03-29T00:59:59Z")) == 3600)
        #expect(paris.offsetSeconds(at: utc("2026-03-29T01:00Z")) == 7200)
    }

    @Test func parisFallBackRepeatsTwoOClockAndTakesTheEarlier() {
        #expect(instant(paris, "2026-10-25T01:59") == utc("2026-10-24T23:59Z"))
        #expect(instant(paris, "2026-10-25T02:00") == utc("2026-10-25T00:00Z"), "CEST, the first 02:00")
        #expect(instant(paris, "2026-10-25T02:30") == utc("2026-10-25T00:30Z"))
        #expect(instant(paris, "2026-10-25T02:59:59") == utc("2026-10-25T00:59:59Z"))
        #expect(instant(paris, "2026-10-25T03:00") == utc("2026-10-25T02:00Z"))
        #expect(paris.localDateTime(at: utc("2026-10-25T00:30Z")) == ScheduleFixtures.local("2026-10-25T02:30"))
        #expect(paris.localDateTime(at: utc("2026-10-25T01:30Z")) == ScheduleFixtures.local("2026-10-25T02:30"), "the second 02:30")
    }

    @Test func newYorkSpringForwardSkipsTwoOClock() {
        #expect(instant(newYork, "2026-03-08T01:59") == utc("2026-03-08T06:59Z"))
        #expect(instant(newYork, "2026-03-08T02:00") == utc("2026-03-08T07:00Z"))
        #expect(instant(newYork, "2026-03-08T02:30") == utc("2026-03-08T07:00Z"), "skipped: 03:00 EDT")
        #expect(instant(newYork, "2026-03-08T03:00") == utc("2026-03-08T07:00Z"))
        #expect(instant(newYork, "2026-03-08T03:30") == utc("2026-03-08T07:30Z"))
    }

    @Test func newYorkFallBackRepeatsOneOClockAndTakesTheEarlier() {
        #expect(instant(newYork, "2026-11-01T00:59") == utc("2026-11-01T04:59Z"))
        #expect(instant(newYork, "2026-11-01T01:00") == utc("2026-11-01T05:00Z"), "EDT, the first 01:00")
        #expect(instant(newYork, "2026-11-01T01:30") == utc("2026-11-01T05:30Z"))
        #expect(instant(newYork, "2026-11-01T01:59:59") == utc("2026-11-01T05:59:59Z"))
        #expect(instant(newYork, "2026-11-01T02:00") == utc("2026-11-01T07:00Z"))
        #expect(newYork.localDateTime(at: utc("2026-11-01T06:30Z")) == ScheduleFixtures.local("2026-11-01T01:30"), "the second 01:30")
        #expect(newYork.offsetSeconds(at: utc("2026-11-01T06:00Z")) == -18000)
    }

    @Test func lordHoweShiftsByHalfAnHour() {
        let lordHowe = ZoneRules(identifier: "Australia/Lord_Howe")!
        #expect(instant(lordHowe, "2026-10-04T02:15") == utc("2026-10-03T15:30Z"), "skipped: 02:30 +11")
        #expect(instant(lordHowe, "2026-10-04T02:30") == utc("2026-10-03T15:30Z"))
        #expect(instant(lordHowe, "2026-04-05T01:45") == utc("2026-04-04T14:45Z"), "repeated: the +11 one")
        #expect(lordHowe.localDateTime(at: utc("2026-04-04T15:15Z")) == ScheduleFixtures.local("2026-04-05T01:45"))
    }

    @Test func localTimesRoundTripOutsideTransitions() {
        for text in ["2026-01-15T12:34:56", "2026-07-01T00:00", "1999-12-31T23:59:59", "2040-02-29T09:00"] {
            let local = ScheduleFixtures.local(text)
            #expect(paris.localDateTime(at: paris.instant(of: local)) == local)
            #expect(newYork.localDateTime(at: newYork.instant(of: local)) == local)
        }
        #expect(paris.localDateTime(at: Timestamp(microseconds: 1_500_000)) == ScheduleFixtures.local("1970-01-01T01:00:01"), "fractions dropped")
        #expect(paris.localDateTime(at: Timestamp(microseconds: .max)) == nil, "beyond year 9999")
    }

    @Test func dayNumbersAndWeekdays() {
        #expect(ScheduleFixtures.local("1970-01-01T00:00").dayNumber == 0)
        #expect(ScheduleFixtures.local("1970-01-01T00:00").weekday == .thu)
        #expect(ScheduleFixtures.local("1969-12-31T23:59").dayNumber == -1)
        #expect(ScheduleFixtures.local("1969-12-31T23:59").weekday == .wed)
        #expect(ScheduleFixtures.local("2026-11-02T09:00").dayNumber == 20759)
        #expect(ScheduleFixtures.local("2026-11-02T09:00").weekday == .mon)
        #expect(ScheduleFixtures.local("2027-03-22T09:00").weekday == .mon)
        #expect(ScheduleFixtures.local("2000-02-29T00:00").weekday == .tue)
        #expect(ScheduleFixtures.local("0001-01-01T00:00").weekday == .mon)
    }

    @Test func addingCalendarDays() {
        let handoff = ScheduleFixtures.local("2026-11-02T09:00")
        #expect(handoff.adding(days: 140) == ScheduleFixtures.local("2027-03-22T09:00"))
        #expect(handoff.adding(days: -1) == ScheduleFixtures.local("2026-11-01T09:00"))
        #expect(ScheduleFixtures.local("2028-02-28T23:00").adding(days: 1) == ScheduleFixtures.local("2028-02-29T23:00"))
        #expect(ScheduleFixtures.local("2100-02-28T23:00").adding(days: 1) == ScheduleFixtures.local("2100-03-01T23:00"))
        #expect(ScheduleFixtures.local("0001-01-01T00:00").adding(days: -1) == nil)
        #expect(handoff.adding(days: .max) == nil)
    }

    @Test func dayNumbersRoundTripAndWeekdaysCycle() {
        var previous = LocalDateTime(dayNumber: -719_162)!
        #expect(previous == ScheduleFixtures.local("0001-01-01T00:00"))
        for n in stride(from: -719_161, through: 2_932_896, by: 1) where n % 997 == 0 || (-1...800).contains(n) {
            let date = LocalDateTime(dayNumber: n)!
            #expect(date.dayNumber == n)
            if n == previous.dayNumber + 1 {
                #expect(date.weekday.isoNumber == previous.weekday.isoNumber % 7 + 1)
                #expect(date > previous)
            }
            previous = date
        }
        #expect(LocalDateTime(dayNumber: 2_932_896) == ScheduleFixtures.local("9999-12-31T00:00"))
        #expect(LocalDateTime(dayNumber: 2_932_897) == nil)
    }
}
