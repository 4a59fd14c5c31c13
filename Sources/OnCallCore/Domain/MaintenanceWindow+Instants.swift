extension MaintenanceWindow {
    /// The window as instants: wall-clock start and end in its time zone (a time in a skipped hour is the first
    /// valid instant after it; a repeated one is its first occurrence).
    public func instants() throws -> (start: Timestamp, end: Timestamp) {
        guard let zone = ZoneRules(identifier: timeZone) else {
            throw ScheduleError(code: .unknownTimeZone, scheduleID: "", message: "unknown time zone '\(timeZone)'")
        }
        return (zone.instant(of: start), zone.instant(of: end))
    }
}
