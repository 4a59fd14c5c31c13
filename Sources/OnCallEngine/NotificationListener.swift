import Logging
import OnCallStore
import PostgresNIO
import ServiceLifecycle

/// LISTENs for the hints other nodes' commits send (`oncall_timers`, `oncall_outbox`) and wakes the local
/// timer service and relay. Only a hint: both also poll, so a lost notification delays, never loses, work.
/// `oncall_tenants` (sent by every change to a tenant's set-up, payload: the tenant id) makes this node forget
/// its cached copy of that tenant at once; without it the copy expires within 5 s anyway.
struct NotificationListener: ServiceLifecycle.Service {
    let client: PostgresClient
    let logger: Logger
    let timerWake: WakeSignal
    let relayWake: WakeSignal
    let tenantChanged: @Sendable (String) -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                try await connection.listen(on: "oncall_timers") { notifications in
                                    for try await _ in notifications { timerWake.signal() }
                                }
                            }
                            group.addTask {
                                try await connection.listen(on: "oncall_outbox") { notifications in
                                    for try await _ in notifications { relayWake.signal() }
                                }
                            }
                            group.addTask {
                                try await connection.listen(on: DomainStore.changeChannel) { notifications in
                                    for try await notification in notifications { tenantChanged(notification.payload) }
                                }
                            }
                            try await group.waitForAll()
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.debug("notification listener: \(error); reconnecting")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
