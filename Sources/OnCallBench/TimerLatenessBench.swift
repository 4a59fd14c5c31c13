import ArgumentParser
import Foundation
import OnCallStore

/// Timer lateness with a large number of armed timers: `firing` of them fall due within `window` seconds
/// while the rest wait hours ahead; lateness is read back from each `timer.fired` timeline entry.
struct TimerLatenessBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timer-lateness", abstract: "p50/p99 lateness of durable timers with many armed.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Open incidents, each with one armed timer.") var incidents = 100_000
    @Option(help: "How many of the timers fall due during the run.") var firing = 2_000
    @Option(help: "Seconds over which those timers fall due.") var window = 60
    @Option(help: "Seconds between seeding and the first due timer (covers the server's start).") var lead = 30

    func run() async throws {
        let db = try await BenchDatabase.open(common)
        defer { db.close() }
        try await db.migrate()
        try await db.seedDomain()
        let now = "(extract(epoch from clock_timestamp()) * 1000000)::bigint"
        let step = Int64(window) * 1_000_000 / Int64(max(firing, 1))
        try await db.seedIncidents(count: incidents, dueSQL: """
            CASE WHEN g <= \(firing) THEN \(now) + \(Int64(lead) * 1_000_000) + (g - 1) * \(step)
                 ELSE \(now) + 7200000000 + g END
            """)
        let armed = try await db.int("SELECT count(*)::int FROM incident_timers")
        let lastDue = try await db.doubles("SELECT extract(epoch from max(due_at))::float8 FROM incident_timers WHERE due_at < now() + interval '1 hour'").first ?? 0

        let server = try ServerUnderTest(oncall: common.oncallPath(), databaseURL: db.url)
        defer { server.stop() }
        try await server.waitUntilListening()
        let remaining = lastDue - Date().timeIntervalSince1970 + 5
        if remaining > 0 { try await Task.sleep(for: .seconds(remaining)) }
        server.stop()

        let lateness = try await db.doubles("SELECT (detail->>'late_ms')::float8 FROM incident_journal WHERE kind = 'timer.fired' ORDER BY 1")
        let early = lateness.filter { $0 < 0 }.count
        let p50 = percentile(lateness, 0.50), p99 = percentile(lateness, 0.99), maximum = lateness.last ?? .nan
        say("timer-lateness: \(lateness.count) of \(firing) due timers fired with \(armed) armed; lateness p50 \(Int(p50)) ms, p99 \(Int(p99)) ms, max \(Int(maximum)) ms, early \(early) (target p99 <= 100 ms)")
        try common.write([
            "benchmark": "timer-lateness", "armed": armed, "due": firing, "fired": lateness.count, "early": early,
            "p50_ms": p50, "p99_ms": p99, "max_ms": maximum, "window_s": window, "target_p99_ms": 100,
        ])
        if lateness.count != firing || early > 0 { throw ExitCode(1) }
    }
}
