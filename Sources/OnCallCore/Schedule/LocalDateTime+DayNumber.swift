/// Calendar arithmetic on wall-clock date-times, with integer day numbers (no loops over days).
extension LocalDateTime {
    /// Days from 1970-01-01 to this date in the proleptic Gregorian calendar (negative before 1970).
    public var dayNumber: Int {
        Int(CivilDay.number(year: Int64(year), month: Int64(month), day: Int64(day)))
    }

    /// The day of the week of this date.
    public var weekday: Weekday { CivilDay.weekday(Int64(dayNumber)) }

    /// The date `dayNumber` days after 1970-01-01 at the given time; nil outside years 1–9999 or for a bad time.
    public init?(dayNumber: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        let (y, m, d) = CivilDay.date(Int64(dayNumber))
        guard (1...9999).contains(y) else { return nil }
        self.init(year: Int(y), month: Int(m), day: Int(d), hour: hour, minute: minute, second: second)
    }

    /// The same wall-clock time `days` calendar days later (earlier when negative); nil outside years 1–9999.
    public func adding(days: Int) -> LocalDateTime? {
        let (sum, overflow) = dayNumber.addingReportingOverflow(days)
        guard !overflow else { return nil }
        return LocalDateTime(dayNumber: sum, hour: hour, minute: minute, second: second)
    }

    /// Seconds from 1970-01-01T00:00 to this wall-clock time, every day counting 86,400 s.
    var localSeconds: Int64 {
        Int64(dayNumber) * CivilDay.secondsPerDay + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The wall-clock time `localSeconds` after 1970-01-01T00:00; nil outside years 1–9999.
    init?(localSeconds: Int64) {
        let day = CivilDay.floorDiv(localSeconds, CivilDay.secondsPerDay)
        let time = Int(localSeconds - day * CivilDay.secondsPerDay)
        guard let dayNumber = Int(exactly: day) else { return nil }
        self.init(dayNumber: dayNumber, hour: time / 3600, minute: time / 60 % 60, second: time % 60)
    }
}
