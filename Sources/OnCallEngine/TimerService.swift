import Foundation
import Logging
import OnCallCore
import OnCallStore
import ServiceLifecycle

/// Fires durable timers through their incident's actor, on time to the millisecond, with no task per timer.
///
/// Timer rows are the truth. The service keeps only the due times of the next minute in memory (refilled
/// every few seconds, and told at once about timers this node arms), sleeps until the earliest, then claims
/// every due row with a lease (`FOR UPDATE SKIP LOCKED`, so two nodes never fire the same row) and hands
/// each to the incident. On start the first claim fires everything that became overdue while no node ran.
/// A node that dies after claiming leaves a lease that runs out; another node then fires the timer.
struct TimerService: ServiceLifecycle.Service {
    let engine: IncidentEngine

    /// Fires in flight at most; claims top up when a quarter has finished, so claims stay large.
    static let maxInFlight = 4096

    func run() async throws {
        let settings = engine.settings
        let queue = TimerQueue(client: engine.client, logger: engine.logger, node: settings.node)
        let clock = engine.core.clock
        // In-flight firings finish on shutdown; the wake-up only ends the wait.
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { firing in
                var inFlight = 0
                var nextRefill = clock()
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    do {
                        // A pipeline: keep up to maxInFlight firings going, claiming due rows as room frees up.
                        while inFlight > Self.maxInFlight * 3 / 4 {
                            await firing.next()
                            inFlight -= 1
                        }
                        let claimed = try await queue.claimDue(limit: Self.maxInFlight - inFlight, lease: settings.lease)
                        for timer in claimed { firing.addTask { await fire(timer) } }
                        inFlight += claimed.count
                        if !claimed.isEmpty { continue }
                        if inFlight > 0 {
                            await firing.next()
                            inFlight -= 1
                            continue
                        }
                        let now = clock()
                        if now >= nextRefill {
                            let dues = try await queue.upcoming(within: settings.timerHorizon, limit: 50_000)
                            engine.nextTimer.replace(with: dues.map(Timestamp.init))
                            nextRefill = now + settings.timerRefill
                        }
                        let wake = min(engine.nextTimer.next(after: now) ?? nextRefill, nextRefill)
                        // A millisecond past the due time, so the database's now() has passed it too.
                        await engine.timerWake.wait(timeout: max(.zero, wake - now) + .milliseconds(1))
                    } catch {
                        engine.logger.warning("timer service: \(error)")
                        await engine.timerWake.wait(timeout: .seconds(1))
                    }
                }
                await firing.waitForAll()
            }
        } onGracefulShutdown: {
            engine.timerWake.signal()
        }
    }

    private func fire(_ timer: TimerQueue.DueTimer) async {
        let lateness = engine.core.clock() - Timestamp(timer.dueAt)
        engine.metrics.timerFired(lateness: lateness)
        do {
            let result = try await engine.act(IncidentEvent(.timer(name: timer.name, generation: timer.generation), by: "system"), on: timer.incidentID, tenantID: timer.tenantID)
            if case .notFound = result {
                try await engine.store.deleteTimer(tenantID: timer.tenantID, incidentID: timer.incidentID, name: timer.name, generation: timer.generation)
            }
            engine.logger.debug("timer fired", metadata: [
                "incident.id": "\(timer.incidentID.uuidString.lowercased())", "tenant.id": "\(timer.tenantID)", "timer": "\(timer.name)",
                "lateness_ms": "\(lateness.microseconds / 1000)",
            ])
        } catch {
            // The lease runs out and the timer is claimed again.
            engine.logger.error("timer \(timer.name) of incident \(timer.incidentID) failed: \(error)", metadata: [
                "incident.id": "\(timer.incidentID.uuidString.lowercased())", "tenant.id": "\(timer.tenantID)", "timer": "\(timer.name)",
            ])
            // Counted for ops: the incident lists as stuck (commands_failing) until it changes again.
            try? await engine.stuck.recordFailure(tenantID: timer.tenantID, incidentID: timer.incidentID, command: "timer:\(timer.name)", error: "\(error)")
        }
    }
}
