import Foundation
import Logging
import OnCallCore
import OnCallEngine
import OnCallIntegrations
import OnCallStore
import OnCallTesting
import PostgresNIO
import ServiceLifecycle

/// A real engine (or several "nodes") on a fresh database, with a recording webhook receiver for pages.
struct EngineHarness {
    let url: DatabaseURL
    let receiver: RecordingHTTPServer

    static func make(_ label: String = #function, configure: (inout Seed, RecordingHTTPServer) -> Void) async throws -> EngineHarness {
        let url = try await TestDatabase.migrated(label)
        let receiver = try await RecordingHTTPServer()
        var seed = Seed()
        seed.technicians = ["alice": receiver.url("/pages/alice"), "bob": receiver.url("/pages/bob"), "erin": receiver.url("/pages/erin")]
        seed.layers = [.init(delaySeconds: 1, technicians: ["alice"]), .init(delaySeconds: 1, technicians: ["bob"])]
        configure(&seed, receiver)
        try await seed.write(to: url)
        return EngineHarness(url: url, receiver: receiver)
    }

    static let workflows: WorkflowRegistry = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        // The shipped workflows and the test fixtures' second workflow.
        return try! WorkflowRegistry.load(directories: [url.appendingPathComponent("workflows").path, url.appendingPathComponent("fixtures/workflows").path])
    }()

    /// Runs `nodes` engines, each with its own client and services, for the duration of `body`.
    func run(nodes: Int = 1, retry: RetryPolicy = RetryPolicy(maxAttempts: 4, base: .milliseconds(200), cap: .seconds(1)),
             deliverers extra: [String: any OutboxDeliverer] = [:], adjust: (inout IncidentEngine.Settings) -> Void = { _ in },
             _ body: @Sendable ([IncidentEngine]) async throws -> Void) async throws {
        var engines: [IncidentEngine] = []
        var services: [any ServiceLifecycle.Service] = []
        for index in 0..<nodes {
            let client = Database.makeClient(url, logger: TestDatabase.logger, maximumConnections: 8)
            var settings = IncidentEngine.Settings(node: "node-\(index)", publicURL: "http://oncall.test")
            let signing = SigningSecrets(client: client, logger: TestDatabase.logger)
            settings.retry = retry
            settings.lease = .seconds(5)
            adjust(&settings)
            let engine = IncidentEngine(client: client, workflows: Self.workflows, deliverers: [
                    "page.webhook": WebhookPageDeliverer(signingSecret: { try await signing.secret(tenantID: $0) }),
                    "page.slack": ChatPageDeliverer(.slack), "page.teams": ChatPageDeliverer(.teams),
                ].merging(extra) { $1 }, settings: settings, logger: TestDatabase.logger)
            engines.append(engine)
            services.append(client)
            services.append(contentsOf: engine.services)
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: TestDatabase.logger))
        let engineList = engines
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var failure: (any Error)?
            do { try await body(engineList) } catch { failure = error }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            await receiver.close()
            if let failure { throw failure }
        }
    }
}

extension IncidentEngine {
    /// Polls the incident until `condition` holds (integration tests against real time).
    func waitFor(_ id: UUID, tenant: String = "acme", timeout: Duration = .seconds(15), _ condition: (IncidentRecord) -> Bool) async throws -> IncidentRecord {
        let deadline = ContinuousClock.now + timeout
        var last: IncidentRecord?
        while ContinuousClock.now < deadline {
            last = try await incident(id: id, tenantID: tenant)
            if let last, condition(last) { return last }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSupportError("incident \(id) did not reach the expected condition; last: \(String(describing: last?.snapshot))")
    }
}
