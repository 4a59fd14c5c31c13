import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import OnCallCore
import OnCallHTTP
import OnCallStore
import OnCallTesting
import ServiceLifecycle

/// Runs the real front door in this process on a random port for the duration of `body`.
func withLiveServer(
    readiness: @escaping HealthRoutes.ReadinessCheck = { Readiness(ready: true, reason: nil) },
    server: HTTPServerBuilder = .cleartextHTTP1AndHTTP2(),
    services: [any ServiceLifecycle.Service] = [],
    router: Router<OnCallRequestContext>? = nil,
    _ body: @Sendable (Int) async throws -> Void
) async throws {
    let router = router ?? OnCallApplication.makeRouter(health: HealthRoutes(readiness: readiness, integrations: IntegrationReport.make(OnCallConfiguration())))
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        services: services,
        onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
        logger: TestDatabase.logger
    )
    let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: TestDatabase.logger))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await serviceGroup.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestSupportError("server did not start") }
        var failure: (any Error)?
        do { try await body(port) } catch { failure = error }
        // Graceful shutdown drains connections as SIGTERM would.
        await serviceGroup.triggerGracefulShutdown()
        try await group.waitForAll()
        if let failure { throw failure }
    }
}
