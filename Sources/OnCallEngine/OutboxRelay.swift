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
                    // Pages to throttled channels (SMS, email) go by contact method: one message per window, the
                    // rest bundled into the next. Everything else goes row by row, concurrently.
                    let throttled = Dictionary(grouping: claims.filter { settings.pageThrottle[$0.kind] != nil }) { ThrottleKey(tenantID: $0.tenantID, channel: $0.channel) }
                    let finished = await withTaskGroup(of: [OutboxQueue.Finished].self) { group in
                        for claim in claims where settings.pageThrottle[claim.kind] == nil {
                            group.addTask { await process(claim, queue: queue).map { [$0] } ?? [] }
                        }
                        for (key, rows) in throttled {
                            group.addTask { await processThrottled(key, rows, window: settings.pageThrottle[rows[0].kind]!, queue: queue) }
                        }
                        var finished: [OutboxQueue.Finished] = []
                        for await items in group { finished += items }
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

    struct ThrottleKey: Hashable {
        var tenantID: String
        var channel: String
    }

    static func delivery(_ claim: OutboxQueue.Claim) -> Delivery {
        Delivery(
            tenantID: claim.tenantID, kind: claim.kind, channel: claim.channel, payload: claim.payload,
            idempotencyKey: claim.idempotencyKey, attempt: claim.attempts, psaTicketID: claim.psaTicketID
        )
    }

    /// Delivers one row; returns it when it is done (delivered or skipped), after recording a retry or a dead letter otherwise.
    private func process(_ claim: OutboxQueue.Claim, queue: OutboxQueue) async -> OutboxQueue.Finished? {
        let result: DeliveryResult
        if let deliverer = engine.deliverer(for: claim.kind) {
            result = await deliverer.deliver(Self.delivery(claim))
        } else {
            result = .skipped(reason: "nothing delivers '\(claim.kind)' on this node (integration not configured)")
        }
        return await record(result, for: claim, queue: queue)
    }

    /// Pages to one contact method of a throttled channel: if it had a message within `window` (on any node) they
    /// wait until it frees up, without using an attempt; otherwise one message goes now, the pages that waited
    /// bundled into it when there are several.
    private func processThrottled(_ key: ThrottleKey, _ rows: [OutboxQueue.Claim], window: Duration, queue: OutboxQueue) async -> [OutboxQueue.Finished] {
        let contactMethod = String(key.channel.dropFirst("page:".count))
        do {
            if let free = try await queue.takeThrottle(tenantID: key.tenantID, contactMethodID: contactMethod, window: window) {
                try await queue.postpone(rows, until: free)
                return []
            }
        } catch {
            // The leases run out and the rows are claimed again.
            engine.logger.warning("outbox relay: storm throttle for \(key.channel): \(error)")
            return []
        }
        var finished: [OutboxQueue.Finished] = []
        if rows.count > 1, let deliverer = engine.deliverer(for: rows[0].kind), let result = await deliverer.deliverBundle(rows.map(Self.delivery)) {
            for row in rows {
                if var done = await record(result, for: row, queue: queue) {
                    done.detail["bundled"] = String(rows.count)
                    finished.append(done)
                }
            }
        } else {
            for row in rows { if let done = await process(row, queue: queue) { finished.append(done) } }
        }
        // Nothing reached the technician: the next attempt need not wait for the window.
        if finished.isEmpty {
            try? await queue.releaseThrottle(tenantID: key.tenantID, contactMethodID: contactMethod)
        }
        return finished
    }

    /// Counts the attempt for `/metrics` and notes the integration's health (`GET /api/ops/integrations`).
    private func observe(_ result: DeliveryResult, for claim: OutboxQueue.Claim) {
        let outcome: String
        var error: String?
        switch result {
        case .delivered: outcome = "delivered"
        case .skipped: outcome = "skipped"
        case .retry(let message, _):
            outcome = claim.attempts >= engine.settings.retry.maxAttempts ? "dead" : "retry"
            error = message
        case .failed(let message):
            outcome = "dead"
            error = message
        }
        if outcome == "dead" {
            engine.logger.warning("\(claim.kind) for incident \(claim.incidentID) given up after \(claim.attempts) attempt(s): \(error ?? "")", metadata: [
                "incident.id": "\(claim.incidentID.uuidString.lowercased())", "tenant.id": "\(claim.tenantID)", "kind": "\(claim.kind)", "outbox.id": "\(claim.id)",
            ])
        }
        if claim.kind.hasPrefix("page.") {
            engine.metrics.pageDelivery(channel: String(claim.kind.dropFirst(5)), result: outcome)
        } else {
            engine.metrics.delivery(kind: claim.kind, result: outcome)
        }
        let integration: String? = switch claim.kind {
        case "page.sms": "sms"
        case "page.email": "email"
        case "publish": "hub_events"
        case let kind where kind.hasPrefix("psa."): "psa"
        default: nil
        }
        guard let integration, outcome != "skipped" else { return }
        if let error {
            engine.health.failure(integration, tenantID: claim.tenantID, error: "\(claim.kind): \(error)")
        } else {
            engine.health.success(integration, tenantID: claim.tenantID)
        }
    }

    /// Records what an attempt did: the row when it is done, nil after recording a retry or a dead letter.
    private func record(_ result: DeliveryResult, for claim: OutboxQueue.Claim, queue: OutboxQueue) async -> OutboxQueue.Finished? {
        let family = String(claim.kind.prefix { $0 != "." })
        observe(result, for: claim)
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
            engine.logger.error("outbox row \(claim.id): recording the result failed: \(error)", metadata: [
                "incident.id": "\(claim.incidentID.uuidString.lowercased())", "tenant.id": "\(claim.tenantID)", "kind": "\(claim.kind)",
            ])
        }
        return nil
    }
}
