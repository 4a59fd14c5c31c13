import ArgumentParser
import Foundation
import OnCallCore
import OnCallEngine
import OnCallStore
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// Resident memory per active incident actor: activate many actors in this process (each caches its incident)
/// and divide the growth of the resident set by their number.
struct ActorMemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "actor-memory", abstract: "Resident bytes per active incident actor.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Incidents to activate.") var incidents = 50_000

    func run() async throws {
        let db = try await BenchDatabase.open(common)
        defer { db.close() }
        try await db.migrate()
        try await db.seedDomain()
        try await db.seedIncidents(count: incidents, state: "acknowledged", dueSQL: nil)
        let logger = common.logger
        let ids: [UUID] = try await db.withConnection { connection in
            var ids: [UUID] = []
            ids.reserveCapacity(incidents)
            for try await id in try await connection.query("SELECT id FROM incidents ORDER BY number", logger: logger).decode(UUID.self) { ids.append(id) }
            return ids
        }

        let client = Database.makeClient(db.url, logger: logger, maximumConnections: 16)
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("workflows").path
        let engine = IncidentEngine(
            client: client, workflows: try WorkflowRegistry.load(directory: WorkflowRegistry.defaultDirectory(configured: ProcessInfo.processInfo.environment["ONCALL_WORKFLOWS_DIR"] ?? directory)),
            deliverers: [:], settings: .init(node: "bench"), logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            // Warm up pools, caches and the allocator with a first slice, then let those actors go.
            try await activate(engine, Array(ids.prefix(2_000)))
            engine.passivate(idleFor: .zero)
            trimMalloc()
            let before = residentBytes()
            try await activate(engine, ids)
            trimMalloc()
            let after = residentBytes()
            let active = engine.activeActors
            let perActor = Double(after - before) / Double(max(active, 1))
            say(String(format: "actor-memory: %d active actors; resident +%.1f MiB; %.0f bytes per actor (target <= 2048)", active, Double(after - before) / 1_048_576, perActor))
            try common.write(["benchmark": "actor-memory", "actors": active, "resident_before": before, "resident_after": after, "bytes_per_actor": perActor, "target_bytes": 2048])
            group.cancelAll()
            if active != ids.count { throw ExitCode(1) }
        }
    }

    /// Sends each incident a command it ignores (acknowledge when acknowledged): the actor loads and caches its row.
    private func activate(_ engine: IncidentEngine, _ ids: [UUID]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            for _ in 0..<min(32, ids.count) {
                let id = ids[next]; next += 1
                group.addTask { _ = try await engine.act(IncidentEvent(.acknowledge, by: "bench"), on: id, tenantID: "bench") }
            }
            while try await group.next() != nil, next < ids.count {
                let id = ids[next]; next += 1
                group.addTask { _ = try await engine.act(IncidentEvent(.acknowledge, by: "bench"), on: id, tenantID: "bench") }
            }
            try await group.waitForAll()
        }
    }

    /// glibc's malloc_trim, looked up at run time (the Glibc module does not export it): returns freed pages.
    private func trimMalloc() {
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
    }

    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
