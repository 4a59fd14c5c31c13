/// Who is on call when: layers of rotations in one IANA time zone, and overrides on top.
///
/// Resolution (see ``ScheduleResolver``): an override wins over every layer; otherwise a later layer wins
/// where it has someone on call (its rotation member, inside its restrictions).
public struct Schedule: Sendable, Equatable {
    public var id: String
    public var name: String
    /// IANA time zone of every wall-clock time in the schedule (handoffs, restrictions, overrides).
    public var timeZone: String
    public var layers: [ScheduleLayer]
    public var overrides: [ScheduleOverride]

    public init(id: String, name: String, timeZone: String, layers: [ScheduleLayer] = [], overrides: [ScheduleOverride] = []) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.layers = layers
        self.overrides = overrides
    }
}

public struct ScheduleLayer: Sendable, Equatable {
    public var name: String
    public var rotation: Rotation
    /// The wall-clock start of the first shift; later handoffs keep this wall-clock time across DST changes.
    public var handoff: LocalDateTime
    /// Technician ids taking turns in this order (a member may appear more than once).
    public var members: [String]
    /// When non-empty, the layer has someone on call only inside these windows.
    public var restrictions: [Restriction]

    public init(name: String, rotation: Rotation, handoff: LocalDateTime, members: [String], restrictions: [Restriction] = []) {
        self.name = name
        self.rotation = rotation
        self.handoff = handoff
        self.members = members
        self.restrictions = restrictions
    }
}

/// How long each member's turn lasts.
public enum Rotation: Sendable, Equatable {
    /// One hour of elapsed time.
    case hourly
    /// One calendar day: the same wall-clock time the next day (23 or 25 hours across a DST change).
    case daily
    /// Seven calendar days, same wall-clock time.
    case weekly
    /// A custom length. Whole days (`2d`) step in calendar days like `daily`; anything else is elapsed time.
    case every(Duration)
}

/// On call only inside these windows: the listed days, from `from` to `to` local time. A window whose `to` is
/// not after its `from` crosses midnight and ends the next day (`{days: [fri], from: "22:00", to: "06:00"}` is
/// Friday 22:00 to Saturday 06:00). `to` may be `24:00`.
public struct Restriction: Sendable, Equatable {
    public var days: Set<Weekday>
    public var from: LocalTime
    public var to: LocalTime

    public init(days: Set<Weekday>, from: LocalTime, to: LocalTime) {
        self.days = days
        self.from = from
        self.to = to
    }
}

/// Someone else on call for a while, whatever the layers say.
public struct ScheduleOverride: Sendable, Equatable {
    public var technician: String
    public var start: LocalDateTime
    public var end: LocalDateTime

    public init(technician: String, start: LocalDateTime, end: LocalDateTime) {
        self.technician = technician
        self.start = start
        self.end = end
    }
}

public enum Weekday: String, Sendable, Equatable, Hashable, CaseIterable, Codable, Comparable {
    case mon, tue, wed, thu, fri, sat, sun

    /// ISO 8601 day number: Monday 1 … Sunday 7.
    public var isoNumber: Int { Self.allCases.firstIndex(of: self)! + 1 }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.isoNumber < rhs.isoNumber }
}

/// A wall-clock time of day, `00:00` to `24:00` (the end of the day).
public struct LocalTime: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int

    public init?(hour: Int, minute: Int) {
        guard (0...23).contains(hour) && (0...59).contains(minute) || hour == 24 && minute == 0 else { return nil }
        self.hour = hour
        self.minute = minute
    }

    /// Parses `HH:MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        self.init(hour: h, minute: m)
    }

    public var minutesSinceMidnight: Int { hour * 60 + minute }

    public var description: String { String(format2: hour) + ":" + String(format2: minute) }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.minutesSinceMidnight < rhs.minutesSinceMidnight }
}

/// A wall-clock date and time without a zone (`2026-11-02T09:00`); the schedule or window gives the zone.
public struct LocalDateTime: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Parses `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (a space may stand for the `T`).
    public init?(_ text: String) {
        let normalized = text.replacingFirst(" ", with: "T")
        let halves = normalized.split(separator: "T", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        let time = halves[1].split(separator: ":", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2, time.count == 2 || time.count == 3,
              time.allSatisfy({ $0.count == 2 }),
              let y = Int(date[0]), let mo = Int(date[1]), let d = Int(date[2]), let h = Int(time[0]), let mi = Int(time[1]) else { return nil }
        let s = time.count == 3 ? Int(time[2]) : 0
        guard let s else { return nil }
        self.init(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }

    public var description: String {
        var text = "\(year)-\(String(format2: month))-\(String(format2: day))T\(String(format2: hour)):\(String(format2: minute))"
        if second != 0 { text += ":" + String(format2: second) }
        return text
    }

    public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second) < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension String {
    init(format2 value: Int) {
        self = value < 10 && value >= 0 ? "0\(value)" : String(value)
    }

    func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let found = firstIndex(of: target) else { return self }
        return String(self[..<found]) + replacement + String(self[self.index(after: found)...])
    }
}
