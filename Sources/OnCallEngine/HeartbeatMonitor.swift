import Foundation
import Logging
public import OnCallCore
public import OnCallParsers
import OnCallStore
import ServiceLifecycle

/// Opens an incident for every heartbeat whose check-in is overdue (`heartbeat:<integration>`, severity
/// high), on the integration's service. Runs on every node; claims keep each heartbeat to one of them.
struct HeartbeatMonitor: ServiceLifecycle.Service {
    let engine: IncidentEngine
    let heartbeats: Heartbeats
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await sweep()
                } catch {
                    if Task.isCancelled { return }
                    engine.logger.warning("heartbeat monitor: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass: claim what is overdue, open its incident, then mark it missed.
    func sweep() async throws {
        // A claim of its own per sweep: a check-in clears it, a later sweep cannot mistake it for its own.
        let claim = "\(engine.settings.node):\(UUID().uuidString)"
        for overdue in try await heartbeats.claimOverdue(claim: claim, lease: engine.settings.lease) {
            let key = HeartbeatAlerts.dedupKey(overdue.integrationID)
            _ = try await engine.ingest(
                [HeartbeatAlerts.missed(integrationID: overdue.integrationID, lastCheckIn: overdue.lastCheckIn, due: overdue.due)],
                tenantID: overdue.tenantID, serviceID: overdue.serviceID, actor: "system"
            )
            if try await !heartbeats.markMissed(overdue, claim: claim) {
                // A check-in arrived between the claim and now: the heartbeat is alive again.
                _ = try await engine.ingest([HeartbeatAlerts.back(integrationID: overdue.integrationID)], tenantID: overdue.tenantID, serviceID: overdue.serviceID, actor: "system")
            }
            engine.logger.info("heartbeat \(overdue.integrationID) of tenant \(overdue.tenantID) missed", metadata: ["dedup_key": "\(key)", "tenant.id": "\(overdue.tenantID)"])
        }
    }
}

/// The alerts a heartbeat produces.
public enum HeartbeatAlerts {
    public static func dedupKey(_ integrationID: String) -> String { "heartbeat:\(integrationID)" }

    public static func missed(integrationID: String, lastCheckIn: Timestamp, due: Timestamp) -> NormalizedAlert {
        let last = lastCheckIn.date.formatted(.iso8601)
        return NormalizedAlert(
            action: .trigger, dedupKey: dedupKey(integrationID), title: "Heartbeat '\(integrationID)' missed: no check-in since \(last)",
            severity: .high, description: "The last check-in was at \(last); the next was due by \(due.date.formatted(.iso8601)) (interval plus grace).",
            source: "heartbeat", details: ["integration": integrationID, "last_check_in": last]
        )
    }

    public static func back(integrationID: String) -> NormalizedAlert {
        NormalizedAlert(action: .resolve, dedupKey: dedupKey(integrationID), title: "Heartbeat '\(integrationID)' checked in", severity: .info, source: "heartbeat")
    }
}
