import ArgumentParser
import Foundation
import OnCallStore

/// Start to ready, and start to every overdue timer fired, with many open incidents whose timers all fell due
/// while no node was running.
struct StartupBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "startup", abstract: "Time from start to ready and to all overdue timers fired.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Open incidents, each with an overdue timer.") var incidents = 100_000
    @Option(help: "Give up after this many seconds.") var timeout = 600

    func run() async throws {
        let db = try await BenchDatabase.open(common)
        defer { db.close() }
        try await db.migrate()
        try await db.seedDomain()
        try await db.seedIncidents(count: incidents, dueSQL: "(extract(epoch from clock_timestamp()) * 1000000)::bigint - 60000000 - g")
        let overdue = try await db.int("SELECT count(*)::int FROM incident_timers WHERE due_at < now()")

        let started = Date()
        let server = try ServerUnderTest(oncall: common.oncallPath(), databaseURL: db.url)
        defer { server.stop() }
        let port = try await server.waitUntilListening()
        let listening = Date().timeIntervalSince(started)
        try await server.waitUntilReady(port: port)
        let ready = Date().timeIntervalSince(started)
        // Cheap to poll (index on due_at): fired timers are re-armed for the next layer, hours ahead.
        let cutoff = Int64(started.timeIntervalSince1970)
        while Date().timeIntervalSince(started) < Double(timeout) {
            if try await db.int("SELECT count(*)::int FROM (SELECT 1 FROM incident_timers WHERE due_at < to_timestamp(\(cutoff)) LIMIT 1) AS any_left") == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let allFired = Date().timeIntervalSince(started)
        let fired = try await db.int("SELECT count(*)::int FROM incident_journal WHERE kind = 'timer.fired'")
        server.stop()
        let rate = Double(fired) / max(allFired - ready, 0.001)
        say(String(format: "startup: %d open incidents, %d overdue timers; listening %.2f s, ready %.2f s, all overdue fired %.2f s (%d fired, %.0f/s) (target <= 5 s)",
                   incidents, overdue, listening, ready, allFired, fired, rate))
        try common.write([
            "benchmark": "startup", "incidents": incidents, "overdue": overdue, "fired": fired,
            "listening_s": listening, "ready_s": ready, "all_fired_s": allFired, "fires_per_s": rate, "target_s": 5,
        ])
        if fired < overdue { throw ExitCode(1) }
    }
}
