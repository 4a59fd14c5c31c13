@testable import OnCallCore

/// Instants and wall-clock times written as text, and the example tenant's schedules (`acme.yaml`), built in code.
enum ScheduleFixtures {
    /// `2026-11-02T08:00Z` (seconds optional) as an instant.
    static func utc(_ text: String) -> Timestamp {
        precondition(text.hasSuffix("Z"), "UTC instants end in Z")
        let local = LocalDateTime(String(text.dropLast()))!
        return Timestamp(secondsSince1970: Int64(local.dayNumber) * 86_400 + Int64(local.hour * 3600 + local.minute * 60 + local.second))
    }

    /// `2026-11-02T09:00` as a wall-clock time.
    static func local(_ text: String) -> LocalDateTime { LocalDateTime(text)! }

    static func time(_ text: String) -> LocalTime { LocalTime(text)! }

    static let weekdays: Set<Weekday> = [.mon, .tue, .wed, .thu, .fri]

    /// `primary`: a weekly rotation in Paris, weekend cover on top, carol over Christmas.
    static let primary = Schedule(
        id: "primary", name: "Primary on-call", timeZone: "Europe/Paris",
        layers: [
            ScheduleLayer(name: "Weekly rotation", rotation: .weekly, handoff: local("2026-11-02T09:00"), members: ["alice", "bob", "carol"]),
            ScheduleLayer(
                name: "Weekend cover", rotation: .daily, handoff: local("2026-11-07T00:00"), members: ["dave"],
                restrictions: [Restriction(days: [.sat, .sun], from: time("00:00"), to: time("24:00"))]
            ),
        ],
        overrides: [ScheduleOverride(technician: "carol", start: local("2026-12-24T18:00"), end: local("2026-12-26T09:00"))]
    )

    /// `security`: 12-hour elapsed turns in New York, business hours only.
    static let security = Schedule(
        id: "security", name: "Security desk", timeZone: "America/New_York",
        layers: [
            ScheduleLayer(
                name: "Business hours", rotation: .every(.seconds(12 * 3600)), handoff: local("2026-11-02T08:00"), members: ["carol", "bob"],
                restrictions: [Restriction(days: weekdays, from: time("08:00"), to: time("20:00"))]
            ),
        ]
    )

    /// A one-layer schedule.
    static func single(
        _ zone: String, _ rotation: Rotation, handoff: String, members: [String] = ["a", "b"], restrictions: [Restriction] = []
    ) -> ScheduleResolver {
        try! ScheduleResolver(Schedule(
            id: "s", name: "S", timeZone: zone,
            layers: [ScheduleLayer(name: "L", rotation: rotation, handoff: local(handoff), members: members, restrictions: restrictions)]
        ))
    }
}
