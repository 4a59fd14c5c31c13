import Testing
@testable import OnCallCore

/// Rotations, restrictions, overrides and layering, at chosen instants across DST changes.
@Suite("Schedule resolution")
struct ScheduleResolverTests {
    typealias F = ScheduleFixtures

    func utc(_ text: String) -> Timestamp { F.utc(text) }

    /// Layer 0's shifts over `[from, to)` as `(technician, start, end)` in UTC text.
    func turns(_ resolver: ScheduleResolver, _ from: String, _ to: String) -> [Turn] {
        resolver.layerShifts(0, from: utc(from), to: utc(to)).map(Turn.init)
    }

    struct Turn: Equatable, CustomStringConvertible {
        var technician: String
        var start: Timestamp
        var end: Timestamp
        init(_ technician: String, _ start: String, _ end: String) {
            self.technician = technician
            self.start = F.utc(start)
            self.end = F.utc(end)
        }
        init(_ shift: ScheduleShift) {
            technician = shift.technician
            start = shift.start
            end = shift.end
        }
        var description: String { "\(technician) \(ICalendarFeed.utcText(start))–\(ICalendarFeed.utcText(end))" }
    }

    // MARK: Construction

    @Test func anUnknownTimeZoneIsRefused() {
        let schedule = Schedule(id: "x", name: "X", timeZone: "Europe/Pariss")
        #expect(throws: ScheduleError.self) { try ScheduleResolver(schedule) }
        do {
            _ = try ScheduleResolver(schedule)
        } catch {
            #expect(error.code == .unknownTimeZone)
            #expect(error.description == "schedule x: unknown time zone \"Europe/Pariss\"")
        }
    }

    @Test(arguments: [Duration.zero, .seconds(-3600), .nanoseconds(10), .seconds(4000 * 86_400)])
    func aRotationMustBePositiveAndBounded(_ length: Duration) {
        let schedule = Schedule(id: "x", name: "X", timeZone: "UTC", layers: [
            ScheduleLayer(name: "ok", rotation: .daily, handoff: F.local("2026-01-01T00:00"), members: ["a"]),
            ScheduleLayer(name: "bad", rotation: .every(length), handoff: F.local("2026-01-01T00:00"), members: ["a"]),
        ])
        do {
            _ = try ScheduleResolver(schedule)
            Issue.record("accepted \(length)")
        } catch {
            #expect(error.code == .invalidRotation)
            #expect(error.layer == 1)
        }
    }

    @Test func aLayerWithoutMembersHasNobody() {
        let resolver = F.single("UTC", .daily, handoff: "2026-01-01T00:00", members: [])
        #expect(resolver.onCall(at: utc("2026-02-01T00:00Z")).technician == nil)
        #expect(resolver.shifts(from: utc("2026-01-01T00:00Z"), to: utc("2026-02-01T00:00Z")).isEmpty)
    }

    // MARK: Calendar rotations keep the wall-clock handoff

    @Test func dailyHandoffStaysAtNineAcrossParisSpringForward() {
        let resolver = F.single("Europe/Paris", .daily, handoff: "2026-03-27T09:00")
        #expect(turns(resolver, "2026-03-27T00:00Z", "2026-03-30T12:00Z") == [
            Turn("a", "2026-03-27T08:00Z", "2026-03-28T08:00Z"),
            Turn("b", "2026-03-28T08:00Z", "2026-03-29T07:00Z"),  // 23 h
            Turn("a", "2026-03-29T07:00Z", "2026-03-30T07:00Z"),
            Turn("b", "2026-03-30T07:00Z", "2026-03-30T12:00Z"),  // clipped to the range
        ])
        let onCall = resolver.onCall(at: utc("2026-03-29T06:59Z"))
        #expect(onCall.technician == "b")
        #expect(onCall.layers[0].shift?.end == utc("2026-03-29T07:00Z"))
        #expect(onCall.layers[0].shift!.end - onCall.layers[0].shift!.start == .seconds(23 * 3600))
        #expect(resolver.onCall(at: utc("2026-03-29T07:00Z")).technician == "a")
    }

    @Test func dailyHandoffStaysAtNineAcrossParisFallBack() {
        let resolver = F.single("Europe/Paris", .daily, handoff: "2026-10-24T09:00")
        #expect(turns(resolver, "2026-10-24T07:00Z", "2026-10-26T08:00Z") == [
            Turn("a", "2026-10-24T07:00Z", "2026-10-25T08:00Z"),  // 25 h
            Turn("b", "2026-10-25T08:00Z", "2026-10-26T08:00Z"),
        ])
    }

    @Test func weeklyHandoffStaysAtNineAcrossParisTransitions() {
        let spring = F.single("Europe/Paris", .weekly, handoff: "2026-03-23T09:00")
        #expect(turns(spring, "2026-03-23T08:00Z", "2026-04-06T07:00Z") == [
            Turn("a", "2026-03-23T08:00Z", "2026-03-30T07:00Z"),  // 167 h
            Turn("b", "2026-03-30T07:00Z", "2026-04-06T07:00Z"),
        ])
        let fall = F.single("Europe/Paris", .weekly, handoff: "2026-10-19T09:00")
        #expect(turns(fall, "2026-10-19T07:00Z", "2026-11-02T08:00Z") == [
            Turn("a", "2026-10-19T07:00Z", "2026-10-26T08:00Z"),  // 169 h
            Turn("b", "2026-10-26T08:00Z", "2026-11-02T08:00Z"),
        ])
    }

    @Test func dailyAndWeeklyHandoffsStayAtNineAcrossNewYorkTransitions() {
        let springDaily = F.single("America/New_York", .daily, handoff: "2026-03-07T09:00")
        #expect(turns(springDaily, "2026-03-07T14:00Z", "2026-03-09T13:00Z") == [
            Turn("a", "2026-03-07T14:00Z", "2026-03-08T13:00Z"),  // 23 h
            Turn("b", "2026-03-08T13:00Z", "2026-03-09T13:00Z"),
        ])
        let fallDaily = F.single("America/New_York", .daily, handoff: "2026-10-31T09:00")
        #expect(turns(fallDaily, "2026-10-31T13:00Z", "2026-11-02T14:00Z") == [
            Turn("a", "2026-10-31T13:00Z", "2026-11-01T14:00Z"),  // 25 h
            Turn("b", "2026-11-01T14:00Z", "2026-11-02T14:00Z"),
        ])
        let springWeekly = F.single("America/New_York", .weekly, handoff: "2026-03-02T09:00")
        #expect(turns(springWeekly, "2026-03-02T14:00Z", "2026-03-09T13:00Z") == [Turn("a", "2026-03-02T14:00Z", "2026-03-09T13:00Z")])
        #expect(springWeekly.onCall(at: utc("2026-03-09T13:00Z")).technician == "b")
        let fallWeekly = F.single("America/New_York", .weekly, handoff: "2026-10-26T09:00")
        #expect(turns(fallWeekly, "2026-10-26T13:00Z", "2026-11-02T14:00Z") == [Turn("a", "2026-10-26T13:00Z", "2026-11-02T14:00Z")])
        #expect(fallWeekly.onCall(at: utc("2026-11-02T13:59Z")).technician == "a")
        #expect(fallWeekly.onCall(at: utc("2026-11-02T14:00Z")).technician == "b")
    }

    @Test func aHandoffInTheSkippedHourMovesToThreeThatDayOnly() {
        let resolver = F.single("Europe/Paris", .daily, handoff: "2026-03-27T02:30")
        let paris = resolver.zone
        let shifts = resolver.layerShifts(0, from: utc("2026-03-28T00:00Z"), to: utc("2026-03-31T00:00Z"))
        #expect(shifts.map(Turn.init) == [
            Turn("a", "2026-03-28T00:00Z", "2026-03-28T01:30Z"),
            Turn("b", "2026-03-28T01:30Z", "2026-03-29T01:00Z"),
            Turn("a", "2026-03-29T01:00Z", "2026-03-30T00:30Z"),
            Turn("b", "2026-03-30T00:30Z", "2026-03-31T00:00Z"),
        ])
        #expect(paris.localDateTime(at: shifts[2].start) == F.local("2026-03-29T03:00"))
        #expect(paris.localDateTime(at: shifts[3].start) == F.local("2026-03-30T02:30"))
    }

    @Test func aHandoffInTheRepeatedHourTakesTheFirstOccurrence() {
        let resolver = F.single("Europe/Paris", .daily, handoff: "2026-10-24T02:30")
        #expect(turns(resolver, "2026-10-24T00:30Z", "2026-10-26T01:30Z") == [
            Turn("a", "2026-10-24T00:30Z", "2026-10-25T00:30Z"),
            Turn("b", "2026-10-25T00:30Z", "2026-10-26T01:30Z"),  // 25 h
        ])
        #expect(resolver.onCall(at: utc("2026-10-25T01:15Z")).technician == "b", "the second 02:15 is after the handoff")
    }

    @Test func everyTwoDaysStepsInCalendarDays() {
        let resolver = F.single("Europe/Paris", .every(.seconds(2 * 86_400)), handoff: "2026-03-27T09:00")
        #expect(turns(resolver, "2026-03-27T08:00Z", "2026-04-02T07:00Z") == [
            Turn("a", "2026-03-27T08:00Z", "2026-03-29T07:00Z"),  // 47 h
            Turn("b", "2026-03-29T07:00Z", "2026-03-31T07:00Z"),
            Turn("a", "2026-03-31T07:00Z", "2026-04-02T07:00Z"),
        ])
    }

    // MARK: Elapsed rotations

    @Test func hourlyCountsElapsedHoursThroughTheGapAndTheRepeat() {
        let spring = F.single("Europe/Paris", .hourly, handoff: "2026-03-29T00:00", members: ["a", "b", "c"])
        #expect(turns(spring, "2026-03-28T23:00Z", "2026-03-29T02:00Z") == [
            Turn("a", "2026-03-28T23:00Z", "2026-03-29T00:00Z"),  // 00:00 CET
            Turn("b", "2026-03-29T00:00Z", "2026-03-29T01:00Z"),  // 01:00 CET
            Turn("c", "2026-03-29T01:00Z", "2026-03-29T02:00Z"),  // 03:00 CEST
        ])
        let fall = F.single("Europe/Paris", .hourly, handoff: "2026-10-25T00:00", members: ["a", "b", "c"])
        #expect(fall.onCall(at: utc("2026-10-25T00:30Z")).technician == "c", "the first 02:30")
        #expect(fall.onCall(at: utc("2026-10-25T01:30Z")).technician == "a", "the second 02:30")
    }

    @Test func everyTwelveHoursIsElapsedSoTheWallClockHandoffMoves() {
        let resolver = F.single("Europe/Paris", .every(.seconds(12 * 3600)), handoff: "2026-03-28T20:00")
        #expect(turns(resolver, "2026-03-28T19:00Z", "2026-03-30T07:00Z") == [
            Turn("a", "2026-03-28T19:00Z", "2026-03-29T07:00Z"),
            Turn("b", "2026-03-29T07:00Z", "2026-03-29T19:00Z"),
            Turn("a", "2026-03-29T19:00Z", "2026-03-30T07:00Z"),
        ])
        #expect(resolver.zone.localDateTime(at: utc("2026-03-29T07:00Z")) == F.local("2026-03-29T09:00"), "12 h after 20:00 CET is 09:00 CEST")
    }

    @Test func nobodyBeforeTheFirstHandoff() {
        let resolver = F.single("Europe/Paris", .weekly, handoff: "2026-11-02T09:00")
        let before = resolver.onCall(at: utc("2026-11-02T07:59:59Z"))
        #expect(before.technician == nil && before.source == nil && before.layers[0].shift == nil)
        #expect(turns(resolver, "2026-11-01T00:00Z", "2026-11-03T00:00Z") == [Turn("a", "2026-11-02T08:00Z", "2026-11-03T00:00Z")])
    }

    @Test func yearsOfTurnsCostNothing() {
        let resolver = F.single("Europe/Paris", .daily, handoff: "2026-01-01T09:00", members: ["a", "b", "c"])
        // 2126-01-01 is 36,524 days later (2100 is no leap year): 36,524 mod 3 = 2.
        let onCall = resolver.onCall(at: utc("2126-01-01T08:30Z"))
        #expect(onCall.technician == "c")
        #expect(onCall.layers[0].shift?.start == utc("2126-01-01T08:00Z"))
        #expect(resolver.onCall(at: Timestamp(microseconds: .max)).technician != nil, "clamped, no overflow")
        #expect(resolver.onCall(at: Timestamp(microseconds: .min)).technician == nil)
    }

    // MARK: Restrictions

    @Test func businessHoursCutAWeeklyTurnIntoWeekdayPieces() {
        let resolver = F.single(
            "Europe/Paris", .weekly, handoff: "2026-11-02T09:00", members: ["a"],
            restrictions: [Restriction(days: F.weekdays, from: F.time("08:00"), to: F.time("20:00"))]
        )
        #expect(turns(resolver, "2026-11-01T23:00Z", "2026-11-08T23:00Z") == [
            Turn("a", "2026-11-02T08:00Z", "2026-11-02T19:00Z"),  // from the 09:00 handoff
            Turn("a", "2026-11-03T07:00Z", "2026-11-03T19:00Z"),
            Turn("a", "2026-11-04T07:00Z", "2026-11-04T19:00Z"),
            Turn("a", "2026-11-05T07:00Z", "2026-11-05T19:00Z"),
            Turn("a", "2026-11-06T07:00Z", "2026-11-06T19:00Z"),
        ])
        #expect(resolver.onCall(at: utc("2026-11-04T12:00Z")).layers[0].shift.map(Turn.init) == Turn("a", "2026-11-04T07:00Z", "2026-11-04T19:00Z"))
        #expect(resolver.onCall(at: utc("2026-11-04T19:00Z")).technician == nil, "20:00 is the end")
        #expect(resolver.onCall(at: utc("2026-11-07T12:00Z")).technician == nil, "Saturday")
    }

    @Test func aWholeWeekendIsOnePieceWithinALongerTurn() {
        let resolver = F.single(
            "Europe/Paris", .weekly, handoff: "2026-11-02T09:00", members: ["a"],
            restrictions: [Restriction(days: [.sat, .sun], from: F.time("00:00"), to: F.time("24:00"))]
        )
        let weekend = Turn("a", "2026-11-06T23:00Z", "2026-11-08T23:00Z")
        #expect(turns(resolver, "2026-11-02T00:00Z", "2026-11-10T00:00Z") == [weekend])
        #expect(resolver.onCall(at: utc("2026-11-07T12:00Z")).layers[0].shift.map(Turn.init) == weekend)
        #expect(resolver.onCall(at: utc("2026-11-08T22:59Z")).technician == "a")
        #expect(resolver.onCall(at: utc("2026-11-08T23:00Z")).technician == nil)
    }

    @Test func aWindowThatCrossesMidnightEndsTheNextDay() {
        let resolver = F.single(
            "Europe/Paris", .daily, handoff: "2026-03-01T00:00", members: ["a"],
            restrictions: [Restriction(days: [.fri], from: F.time("22:00"), to: F.time("06:00"))]
        )
        // Friday 2026-11-06 22:00 CET to Saturday 06:00, cut by the midnight handoff.
        #expect(turns(resolver, "2026-11-05T00:00Z", "2026-11-09T00:00Z") == [
            Turn("a", "2026-11-06T21:00Z", "2026-11-06T23:00Z"),
            Turn("a", "2026-11-06T23:00Z", "2026-11-07T05:00Z"),
        ])
        #expect(resolver.onCall(at: utc("2026-11-07T04:30Z")).technician == "a", "Saturday 05:30")
        #expect(resolver.onCall(at: utc("2026-11-07T05:30Z")).technician == nil, "Saturday 06:30")
        #expect(resolver.onCall(at: utc("2026-11-05T22:00Z")).technician == nil, "Thursday 23:00")
        // In March, before the change, still CET.
        #expect(turns(resolver, "2026-03-27T00:00Z", "2026-03-29T00:00Z") == [
            Turn("a", "2026-03-27T21:00Z", "2026-03-27T23:00Z"),
            Turn("a", "2026-03-27T23:00Z", "2026-03-28T05:00Z"),
        ])
    }

    @Test func aNightWindowOverTheDSTChangeIsAnHourShorter() {
        let resolver = F.single(
            "Europe/Paris", .weekly, handoff: "2026-03-02T12:00", members: ["a"],
            restrictions: [Restriction(days: [.sat], from: F.time("22:00"), to: F.time("06:00"))]
        )
        let night = Turn("a", "2026-03-28T21:00Z", "2026-03-29T04:00Z")  // 7 h
        #expect(turns(resolver, "2026-03-27T00:00Z", "2026-03-30T00:00Z") == [night])
        #expect(resolver.onCall(at: utc("2026-03-29T01:00Z")).layers[0].shift.map(Turn.init) == night)
    }

    @Test func twoWindowsADayCutEachTurnTwice() {
        let resolver = F.single(
            "UTC", .daily, handoff: "2026-01-01T00:00",
            restrictions: [
                Restriction(days: Set(Weekday.allCases), from: F.time("08:00"), to: F.time("12:00")),
                Restriction(days: Set(Weekday.allCases), from: F.time("14:00"), to: F.time("18:00")),
            ]
        )
        #expect(turns(resolver, "2026-01-01T00:00Z", "2026-01-03T00:00Z") == [
            Turn("a", "2026-01-01T08:00Z", "2026-01-01T12:00Z"),
            Turn("a", "2026-01-01T14:00Z", "2026-01-01T18:00Z"),
            Turn("b", "2026-01-02T08:00Z", "2026-01-02T12:00Z"),
            Turn("b", "2026-01-02T14:00Z", "2026-01-02T18:00Z"),
        ])
    }

    // MARK: Layers and overrides

    @Test func theLaterLayerWinsWhereItHasSomeoneAndTheEarlierShowsThrough() {
        let resolver = try! ScheduleResolver(Schedule(id: "s", name: "S", timeZone: "UTC", layers: [
            ScheduleLayer(name: "base", rotation: .weekly, handoff: F.local("2026-01-05T00:00"), members: ["a"]),
            ScheduleLayer(
                name: "days", rotation: .daily, handoff: F.local("2026-01-05T00:00"), members: ["x", "y"],
                restrictions: [Restriction(days: Set(Weekday.allCases), from: F.time("09:00"), to: F.time("17:00"))]
            ),
        ]))
        let day = resolver.onCall(at: utc("2026-01-06T10:00Z"))
        #expect(day.technician == "y")
        #expect(day.source == .layer(index: 1, name: "days"))
        #expect(day.layers.map(\.technician) == ["a", "y"])
        let night = resolver.onCall(at: utc("2026-01-06T20:00Z"))
        #expect(night.technician == "a")
        #expect(night.source == .layer(index: 0, name: "base"))
        #expect(night.layers.map(\.technician) == ["a", nil])
    }

    @Test func anOverrideWinsAndTheLastOverlappingOneWins() {
        let resolver = try! ScheduleResolver(Schedule(
            id: "s", name: "S", timeZone: "UTC",
            layers: [ScheduleLayer(name: "base", rotation: .daily, handoff: F.local("2026-01-01T00:00"), members: ["a"])],
            overrides: [
                ScheduleOverride(technician: "o1", start: F.local("2026-01-02T00:00"), end: F.local("2026-01-04T00:00")),
                ScheduleOverride(technician: "o2", start: F.local("2026-01-03T00:00"), end: F.local("2026-01-03T12:00")),
                ScheduleOverride(technician: "never", start: F.local("2026-01-05T00:00"), end: F.local("2026-01-05T00:00")),
            ]
        ))
        #expect(resolver.onCall(at: utc("2026-01-02T12:00Z")).technician == "o1")
        let both = resolver.onCall(at: utc("2026-01-03T06:00Z"))
        #expect(both.technician == "o2")
        #expect(both.source == .override(index: 1))
        #expect(both.override?.end == utc("2026-01-03T12:00Z"))
        #expect(both.layers.map(\.technician) == ["a"])
        #expect(resolver.onCall(at: utc("2026-01-05T00:00Z")).technician == "a", "an empty override is ignored")
        #expect(resolver.shifts(from: utc("2026-01-01T00:00Z"), to: utc("2026-01-06T00:00Z")).map(Turn.init) == [
            Turn("a", "2026-01-01T00:00Z", "2026-01-02T00:00Z"),
            Turn("o1", "2026-01-02T00:00Z", "2026-01-03T00:00Z"),
            Turn("o2", "2026-01-03T00:00Z", "2026-01-03T12:00Z"),
            Turn("o1", "2026-01-03T12:00Z", "2026-01-04T00:00Z"),
            Turn("a", "2026-01-04T00:00Z", "2026-01-06T00:00Z"),  // daily turns of the same member merge
        ])
    }

    @Test func anOverrideForTheSamePersonStaysASeparateShift() {
        let resolver = try! ScheduleResolver(Schedule(
            id: "s", name: "S", timeZone: "UTC",
            layers: [ScheduleLayer(name: "base", rotation: .weekly, handoff: F.local("2026-01-05T00:00"), members: ["a"])],
            overrides: [ScheduleOverride(technician: "a", start: F.local("2026-01-06T00:00"), end: F.local("2026-01-07T00:00"))]
        ))
        let shifts = resolver.shifts(from: utc("2026-01-05T00:00Z"), to: utc("2026-01-08T00:00Z"))
        #expect(shifts.map(\.source) == [.layer(index: 0, name: "base"), .override(index: 0), .layer(index: 0, name: "base")])
        #expect(shifts.map(\.technician) == ["a", "a", "a"])
    }

    // MARK: The example tenant (acme.yaml)

    @Test func primaryOnAWeekdayAndAWeekend() throws {
        let primary = try ScheduleResolver(F.primary)
        let wednesday = primary.onCall(at: utc("2026-11-04T12:00Z"))
        #expect(wednesday.technician == "alice")
        #expect(wednesday.source == .layer(index: 0, name: "Weekly rotation"))
        #expect(wednesday.layers[0].shift.map(Turn.init) == Turn("alice", "2026-11-02T08:00Z", "2026-11-09T08:00Z"))
        #expect(wednesday.layers[1].shift == nil)

        let saturday = primary.onCall(at: utc("2026-11-07T12:00Z"))
        #expect(saturday.technician == "dave")
        #expect(saturday.source == .layer(index: 1, name: "Weekend cover"))
        #expect(saturday.layers.map(\.technician) == ["alice", "dave"])
        #expect(saturday.layers[1].shift.map(Turn.init) == Turn("dave", "2026-11-06T23:00Z", "2026-11-07T23:00Z"))

        #expect(primary.onCall(at: utc("2026-11-08T22:59Z")).technician == "dave", "Sunday 23:59")
        #expect(primary.onCall(at: utc("2026-11-08T23:00Z")).technician == "alice", "Monday 00:00: alice until 09:00")
        #expect(primary.onCall(at: utc("2026-11-09T07:59Z")).technician == "alice")
        #expect(primary.onCall(at: utc("2026-11-09T08:00Z")).technician == "bob")
        #expect(primary.onCall(at: utc("2026-11-16T08:00Z")).technician == "carol")
        #expect(primary.onCall(at: utc("2026-11-23T08:00Z")).technician == "alice")
    }

    @Test func primaryBeforeItsFirstHandoff() throws {
        let primary = try ScheduleResolver(F.primary)
        let before = primary.onCall(at: utc("2026-11-02T07:59Z"))
        #expect(before.technician == nil)
        #expect(before.layers.map(\.technician) == [nil, nil])
        #expect(primary.onCall(at: utc("2026-11-01T12:00Z")).technician == nil, "a Sunday, but before the weekend cover's handoff")
    }

    @Test func primaryOverChristmas() throws {
        let primary = try ScheduleResolver(F.primary)
        #expect(primary.onCall(at: utc("2026-12-24T16:59Z")).technician == "bob")
        let christmas = primary.onCall(at: utc("2026-12-25T12:00Z"))
        #expect(christmas.technician == "carol")
        #expect(christmas.source == .override(index: 0))
        #expect(christmas.override.map(Turn.init) == Turn("carol", "2026-12-24T17:00Z", "2026-12-26T08:00Z"))
        #expect(christmas.layers.map(\.technician) == ["bob", nil])
        #expect(primary.onCall(at: utc("2026-12-26T07:00Z")).technician == "carol", "Saturday 08:00: the override beats the weekend cover")
        #expect(primary.onCall(at: utc("2026-12-26T08:00Z")).technician == "dave")

        #expect(primary.shifts(from: utc("2026-12-24T00:00Z"), to: utc("2026-12-28T12:00Z")).map(Turn.init) == [
            Turn("bob", "2026-12-24T00:00Z", "2026-12-24T17:00Z"),
            Turn("carol", "2026-12-24T17:00Z", "2026-12-26T08:00Z"),
            Turn("dave", "2026-12-26T08:00Z", "2026-12-27T23:00Z"),
            Turn("bob", "2026-12-27T23:00Z", "2026-12-28T08:00Z"),
            Turn("carol", "2026-12-28T08:00Z", "2026-12-28T12:00Z"),
        ])
    }

    @Test func primaryKeepsMondayNineParisAcrossMarch2027() throws {
        let primary = try ScheduleResolver(F.primary)
        // 2027-03-22 is 140 days (20 weeks) after the first handoff: turn 20, carol; turn 21, alice.
        #expect(primary.onCall(at: utc("2027-03-22T07:59Z")).technician == "bob")
        let carol = primary.onCall(at: utc("2027-03-22T08:00Z"))
        #expect(carol.technician == "carol")
        #expect(carol.layers[0].shift.map(Turn.init) == Turn("carol", "2027-03-22T08:00Z", "2027-03-29T07:00Z"))
        #expect(primary.onCall(at: utc("2027-03-27T12:00Z")).technician == "dave")
        #expect(primary.onCall(at: utc("2027-03-28T22:00Z")).technician == "carol", "Monday 00:00 CEST")
        #expect(primary.onCall(at: utc("2027-03-29T06:59Z")).technician == "carol", "Monday 08:59 CEST")
        #expect(primary.onCall(at: utc("2027-03-29T07:00Z")).technician == "alice", "Monday 09:00 CEST")
        #expect(primary.zone.localDateTime(at: utc("2027-03-29T07:00Z")) == F.local("2027-03-29T09:00"))
    }

    @Test func primaryTimelineMergesAndClips() throws {
        let primary = try ScheduleResolver(F.primary)
        let shifts = primary.shifts(from: utc("2026-11-06T00:00Z"), to: utc("2026-11-10T00:00Z"))
        #expect(shifts.map(Turn.init) == [
            Turn("alice", "2026-11-06T00:00Z", "2026-11-06T23:00Z"),
            Turn("dave", "2026-11-06T23:00Z", "2026-11-08T23:00Z"),  // Saturday and Sunday turns merged
            Turn("alice", "2026-11-08T23:00Z", "2026-11-09T08:00Z"),
            Turn("bob", "2026-11-09T08:00Z", "2026-11-10T00:00Z"),
        ])
        #expect(shifts.map(\.source) == [
            .layer(index: 0, name: "Weekly rotation"), .layer(index: 1, name: "Weekend cover"),
            .layer(index: 0, name: "Weekly rotation"), .layer(index: 0, name: "Weekly rotation"),
        ])
        #expect(primary.shifts(from: utc("2026-11-10T00:00Z"), to: utc("2026-11-10T00:00Z")).isEmpty)
        #expect(primary.shifts(from: utc("2026-11-10T00:00Z"), to: utc("2026-11-09T00:00Z")).isEmpty)
        #expect(primary.shifts(from: utc("2026-10-01T00:00Z"), to: utc("2026-11-02T09:00Z")).map(Turn.init) == [
            Turn("alice", "2026-11-02T08:00Z", "2026-11-02T09:00Z"),
        ])
    }

    @Test func theTimelineAgreesWithOnCallEverywhere() throws {
        for schedule in [F.primary, F.security] {
            let resolver = try ScheduleResolver(schedule)
            let from = utc("2026-11-01T00:00Z")
            let shifts = resolver.shifts(from: from, to: utc("2027-05-01T00:00Z"))
            for shift in shifts.dropFirst() {
                #expect(shift.start >= shifts[0].end)
            }
            var t = from
            while t < utc("2027-05-01T00:00Z") {
                let expected = shifts.first(where: { $0.contains(t) })
                let onCall = resolver.onCall(at: t)
                #expect(onCall.technician == expected?.technician, "at \(ICalendarFeed.utcText(t))")
                #expect(onCall.source == expected?.source)
                t = t + .seconds(5 * 3600 + 37 * 60)
            }
        }
    }

    @Test(arguments: [
        ("Europe/Paris", Rotation.daily, "2026-01-01T02:30"), ("America/New_York", .daily, "2026-01-01T01:30"),
        ("America/New_York", .weekly, "2026-01-04T02:00"), ("Europe/Paris", .every(.seconds(3 * 86_400)), "2026-01-01T02:59"),
        ("Australia/Lord_Howe", .daily, "2026-01-01T02:15"),
    ])
    func turnsTileTheYearAndAgreeWithOnCall(_ zone: String, _ rotation: Rotation, _ handoff: String) {
        let resolver = F.single(zone, rotation, handoff: handoff, members: ["a", "b", "c"])
        let from = utc("2026-01-01T00:00Z")
        let to = utc("2027-01-01T00:00Z")
        let shifts = resolver.layerShifts(0, from: from, to: to)
        #expect(shifts.first?.start == max(from, resolver.zone.instant(of: F.local(handoff))))
        #expect(shifts.last?.end == to)
        for (previous, next) in zip(shifts, shifts.dropFirst()) {
            #expect(previous.end == next.start)
            #expect(previous.start < previous.end)
        }
        var t = from
        while t < to {
            #expect(resolver.onCall(at: t).layers[0].shift?.technician == shifts.first(where: { $0.contains(t) })?.technician)
            t = t + .seconds(3600 + 23 * 60 + 7)
        }
    }

    @Test func securityHasCarolOnWeekdaysAndBobOnlyWhenDSTShiftsTheTurns() throws {
        let security = try ScheduleResolver(F.security)
        #expect(security.onCall(at: utc("2026-11-02T12:59Z")).technician == nil, "before the first handoff")
        let monday = security.onCall(at: utc("2026-11-02T13:00Z"))
        #expect(monday.technician == "carol")
        #expect(monday.layers[0].shift.map(Turn.init) == Turn("carol", "2026-11-02T13:00Z", "2026-11-03T01:00Z"))
        #expect(security.onCall(at: utc("2026-11-04T22:00Z")).technician == "carol", "Wednesday 17:00 EST")
        #expect(security.onCall(at: utc("2026-11-04T02:00Z")).technician == nil, "Tuesday 21:00 EST: bob's turn, outside the window")
        #expect(security.onCall(at: utc("2026-11-07T17:00Z")).technician == nil, "Saturday")
        // Elapsed 12-hour turns stay at 13:00Z/01:00Z: 09:00/21:00 EDT after 2027-03-14, so bob's night turn
        // now reaches into the 08:00 window.
        let edt = security.onCall(at: utc("2027-03-15T12:30Z"))
        #expect(edt.technician == "bob")
        #expect(edt.layers[0].shift.map(Turn.init) == Turn("bob", "2027-03-15T12:00Z", "2027-03-15T13:00Z"))
        #expect(security.onCall(at: utc("2027-03-15T13:00Z")).technician == "carol")
    }

    // MARK: Limits

    @Test func aLongRangeIsCutToAYear() {
        let resolver = F.single("UTC", .hourly, handoff: "2026-01-01T00:00")
        let shifts = resolver.shifts(from: utc("2026-01-01T00:00Z"), to: utc("2030-01-01T00:00Z"))
        #expect(shifts.count == 366 * 24)
        #expect(shifts.last?.end == utc("2026-01-01T00:00Z") + ScheduleResolver.maximumRange)
    }

    @Test func tinyTurnsAreCutAtTheShiftLimit() {
        let resolver = F.single("UTC", .every(.seconds(1)), handoff: "2026-01-01T00:00")
        let shifts = resolver.shifts(from: utc("2026-01-01T00:00Z"), to: utc("2027-01-01T00:00Z"))
        #expect(shifts.count == ScheduleResolver.maximumShifts)
        #expect(shifts.last?.end == utc("2026-01-01T00:00Z") + .seconds(ScheduleResolver.maximumShifts))
        #expect(resolver.layerShifts(0, from: utc("2026-01-01T00:00Z"), to: utc("2027-01-01T00:00Z")).count == ScheduleResolver.maximumShifts)
        #expect(resolver.layerShifts(1, from: utc("2026-01-01T00:00Z"), to: utc("2027-01-01T00:00Z")).isEmpty)
    }

    @Test func extremeRangesDoNotOverflow() throws {
        let primary = try ScheduleResolver(F.primary)
        #expect(primary.shifts(from: Timestamp(microseconds: .min), to: Timestamp(microseconds: .max)).isEmpty)
        let last = primary.shifts(from: Timestamp(microseconds: .max - 1_000_000_000), to: Timestamp(microseconds: .max))
        #expect(last.isEmpty, "clamped to the end of year 9999: an empty range")
        let y9999 = primary.shifts(from: utc("9999-12-30T00:00Z"), to: Timestamp(microseconds: .max))
        #expect(!y9999.isEmpty)
    }
}
