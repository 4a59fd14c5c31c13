public import Foundation
import Logging
public import OnCallCore
import OnCallParsers
public import OnCallStore
public import ServiceLifecycle

/// Reads RMM, Security and Backups messages from the bus (consumer group `oncall`) and turns them into
/// incidents on each tenant's route for that product, in bus order, one message at a time.
///
/// When the bus lives in the main database, the message's receipt (handled id and the group's offset) commits
/// in the same transaction as the incident change it causes, so a crash can neither lose it nor apply it twice:
/// a redelivered message is found handled and skipped. A message that changed nothing (a resolve with no open
/// incident, one dropped by policy) is acknowledged afterwards. With the bus in another database, the message is
/// handled, then acknowledged; a crash between the two applies it again, which folds into the same open
/// incident (same dedup key) or resolves nothing new.
/// A message On-Call cannot read is logged and acknowledged, so it never blocks the ones after it.
public struct BusConsumer: ServiceLifecycle.Service {
    public static let group = "oncall"

    let engine: IncidentEngine
    let bus: any MessageBus
    let domain: DomainStore
    let alertLog: AlertLog
    let idle: Duration
    let clock: @Sendable () -> Timestamp

    public init(engine: IncidentEngine, bus: any MessageBus, domain: DomainStore, alertLog: AlertLog, idle: Duration = .seconds(1),
                clock: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }) {
        self.engine = engine
        self.bus = bus
        self.domain = domain
        self.alertLog = alertLog
        self.idle = idle
        self.clock = clock
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // The bus may be another database that is not up yet: prepare its tables until it answers.
            while !Task.isCancelled {
                do {
                    try await bus.prepare()
                    break
                } catch {
                    engine.logger.warning("bus not ready: \(error); retrying")
                    try? await Task.sleep(for: .seconds(2))
                }
            }
            let wake = WakeSignal()
            await withTaskGroup(of: Void.self) { group in
                // NOTIFY oncall_bus wakes the consumer at once; polling every `idle` is the fallback.
                group.addTask {
                    while !Task.isCancelled {
                        do { try await bus.listen { wake.signal() } } catch { try? await Task.sleep(for: .seconds(1)) }
                    }
                }
                while !Task.isCancelled {
                    var handled = 0
                    do {
                        handled = try await drain()
                    } catch {
                        if Task.isCancelled { break }
                        engine.logger.warning("bus consumer: \(error); retrying")
                    }
                    if handled == 0 { await wake.wait(timeout: idle) }
                }
                group.cancelAll()
            }
        }
    }

    /// Handles one batch; returns how many messages it took.
    func drain() async throws -> Int {
        let deliveries = try await bus.poll(group: Self.group, limit: 100)
        for delivery in deliveries {
            if try await !bus.handled(messageID: delivery.id, group: Self.group) {
                try await handle(delivery, receipt: bus.receipt(for: delivery, group: Self.group))
            }
            try await bus.acknowledge(delivery, group: Self.group)
        }
        return deliveries.count
    }

    func handle(_ delivery: BusDelivery, receipt: BusReceipt? = nil) async throws {
        // com.theonestack.<product>.…: rmm, security, backups (`GET /api/ops/integrations`, /metrics).
        let product = delivery.type.split(separator: ".").dropFirst(2).first.map(String.init) ?? "unknown"
        let event: BusEvent
        let decision: BusEvent.Decision
        do {
            event = try BusEvent.decode(Array(delivery.json.utf8))
        } catch {
            engine.logger.warning("bus message \(delivery.id) (\(delivery.type)) skipped: \(error.message)")
            skipped(product, tenantID: nil, "message \(delivery.id) (\(delivery.type)) unreadable: \(error.message)")
            return
        }
        let threshold = event.type.hasPrefix("com.theonestack.rmm.") && event.tenantID != nil
            ? try await domain.rmmThreshold(tenantID: event.tenantID!) : .critical
        do {
            decision = try event.decision(rmmThreshold: threshold)
        } catch {
            engine.logger.warning("bus message \(delivery.id) (\(delivery.type)) skipped: \(error.message)")
            skipped(product, tenantID: event.tenantID, "message \(delivery.id) (\(delivery.type)): \(error.message)")
            return
        }
        switch decision {
        case .ignored:
            taken(product, tenantID: event.tenantID, "ignored")
            return
        case .dropped(let reason):
            engine.logger.debug("bus message \(delivery.id) dropped: \(reason)")
            if let tenant = event.tenantID, try await domain.load(tenantID: tenant) != nil {
                try await alertLog.record([entry(event, tenant: tenant, action: "ignored", outcome: nil)], payload: Array(delivery.json.utf8))
            }
            taken(product, tenantID: event.tenantID, "dropped")
        case .alert(let alert, let route):
            guard let tenant = event.tenantID else {
                engine.logger.warning("bus message \(delivery.id) has no tenantid extension: skipped")
                skipped(product, tenantID: nil, "message \(delivery.id) has no tenantid extension")
                return
            }
            guard let service = try await domain.route(tenantID: tenant, source: route) else {
                engine.logger.warning("tenant \(tenant) has no route for \(route.rawValue) alerts: bus message \(delivery.id) skipped", metadata: ["tenant.id": "\(tenant)"])
                skipped(product, tenantID: tenant, "no route for \(route.rawValue) alerts: message \(delivery.id) skipped")
                return
            }
            let outcomes = try await engine.ingest([alert], tenantID: tenant, serviceID: service, actor: route.rawValue, receipt: receipt)
            try await alertLog.record(outcomes.map { entry(event, tenant: tenant, action: $0.action.rawValue, outcome: $0) }, payload: Array(delivery.json.utf8))
            taken(product, tenantID: tenant, "alert")
        }
    }

    private func taken(_ product: String, tenantID: String?, _ result: String) {
        engine.metrics.busMessage(source: product, result: result)
        engine.health.success(product, tenantID: tenantID)
    }

    private func skipped(_ product: String, tenantID: String?, _ error: String) {
        engine.metrics.busMessage(source: product, result: "skipped")
        engine.health.failure(product, tenantID: tenantID, error: error)
    }

    func entry(_ event: BusEvent, tenant: String, action: String, outcome: AlertOutcome?) -> AlertLog.Entry {
        AlertLog.Entry(
            tenantID: tenant, integrationID: nil, source: event.type.split(separator: ".").dropFirst(2).first.map(String.init) ?? "bus",
            action: action, dedupKey: outcome?.dedupKey, incidentID: outcome?.incidentID, receivedAt: clock(), contentType: "application/cloudevents+json"
        )
    }
}
