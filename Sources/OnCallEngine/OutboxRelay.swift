import Foundation
import Logging
import OnCallIntegrations
import OnCallStore
import ServiceLifecycle

/// Delivers outbox rows after their commit: claims due rows with a lease, hands each to the deliverer for its
/// kind, keeps per-incident order within a channel, retries with capped exponential back-off and jitter,
/// and turns rows that keep failing into dead letters for ops. Delivered rows leave the hot table at once.
struct OutboxRelay: ServiceLifecycle.Service {
    let engine: IncidentEngine

    func run() async throws {
        let settings = engine.settings
        let queue = OutboxQueue(client: engine.client, logger: engine.logger, node: settings.node)
        // In-flight work finishes on shutdown; the wake-up only ends the wait.
        await withGracefulShutdownHandler {
            var lastPrune = Date.distantPast
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    let claims = try await queue.claim(limit: 64, lease: settings.lease)
                    if claims.isEmpty {
                        if Date().timeIntervalSince(lastPrune) > 3600 {
                            try await queue.prune(olderThan: .seconds(7 * 86400))
                            lastPrune = Date()
                        }
                        var wait = settings.outboxPoll
                        if let due = try await queue.nextDue() {
                            wait = min(wait, .milliseconds(max(1, Int64(due.timeIntervalSinceNow * 1000) + 1)))
                        }
                        await engine.relayWake.wait(timeout: wait)
                        continue
                    }
                    let finished = await withTaskGroup(of: OutboxQueue.Finished?.self) { group in
                        for claim in claims { group.addTask { await process(claim, queue: queue) } }
                        var finished: [OutboxQueue.Finished] = []
                        for await item in group { if let item { finished.append(item) } }
                        return finished
                    }
                    // Every delivered row of the batch leaves the table in one transaction. If that fails,
                    // the leases run out and the rows are sent again with the same Idempotency-Key.
                    try await queue.delivered(finished)
                } catch {
                    engine.logger.warning("outbox relay: \(error)")
                    await engine.relayWake.wait(timeout: .seconds(1))
                }
            }
        } onGracefulShutdown: {
            engine.relayWake.signal()
        }
    }

    /// Delivers one row; returns it when it is done (delivered or skipped), after recording a retry or a dead letter otherwise.
    private func process(_ claim: OutboxQueue.Claim, queue: OutboxQueue) async -> OutboxQueue.Finished? {
        let family = String(claim.kind.prefix { $0 != "." })
        let result: DeliveryResult
        if let deliverer = engine.deliverer(for: claim.kind) {
            result = await deliverer.deliver(Delivery(
                tenantID: claim.tenantID, kind: claim.kind, channel: claim.channel, payload: claim.payload,
                idempotencyKey: claim.idempotencyKey, attempt: claim.attempts, psaTicketID: claim.psaTicketID
            ))
        } else {
            result = .skipped(reason: "nothing delivers '\(claim.kind)' on this node (integration not configured)")
        }
        var detail = ["kind": claim.kind, "channel": claim.channel, "attempts": String(claim.attempts)]
        do {
            switch result {
            case .delivered(let outcome, let ticket):
                detail["result"] = outcome
                if let ticket { detail["ticket"] = ticket }
                return OutboxQueue.Finished(claim: claim, journalKind: "\(family).delivered", detail: detail, psaTicketID: ticket)
            case .skipped(let reason):
                detail["reason"] = reason
                return OutboxQueue.Finished(claim: claim, journalKind: "\(family).skipped", detail: detail)
            case .retry(let error, let after):
                if claim.attempts >= engine.settings.retry.maxAttempts {
                    try await queue.dead(claim, error: error)
                } else {
                    try await queue.retry(claim, after: after ?? engine.settings.retry.delay(afterAttempt: claim.attempts), error: error)
                }
            case .failed(let error):
                try await queue.dead(claim, error: error)
            }
        } catch {
            // The lease runs out and the row is claimed again: at least once, with the same Idempotency-Key.
            engine.logger.error("outbox row \(claim.id): recording the result failed: \(error)")
        }
        return nil
    }
}
