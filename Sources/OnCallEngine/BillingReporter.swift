public import Foundation
public import Logging
public import OnCallCore
public import OnCallIntegrations
public import OnCallStore
public import ServiceLifecycle

/// Reports each tenant's daily active technicians to Hub Billing (docs/hub.md), once per tenant and complete
/// UTC day: at start (so days missed while no node ran are caught up) and then every `interval`. Any number
/// of nodes may run it: each day is queued once and each report claimed by one node at a time.
public struct BillingReporter: ServiceLifecycle.Service {
    let reports: BillingReports
    let hub: HubBillingClient
    let retry: RetryPolicy
    let interval: Duration
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let health: IntegrationHealth?

    public init(
        reports: BillingReports, hub: HubBillingClient, retry: RetryPolicy = RetryPolicy(), interval: Duration = .seconds(300),
        logger: Logger, health: IntegrationHealth? = nil, clock: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }
    ) {
        self.health = health
        self.reports = reports
        self.hub = hub
        self.retry = retry
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await runOnce()
                } catch {
                    logger.warning("billing reports: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Queues the days due and sends the reports due now; returns how many the Hub accepted.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = clock()
        try await reports.enqueue(now: now)
        var accepted = 0
        while true {
            let claimed = try await reports.claim(limit: 50, lease: .seconds(60), now: now)
            if claimed.isEmpty { return accepted }
            for report in claimed {
                switch await hub.report(tenantID: report.tenantID, day: report.day, activeTechnicians: report.activeTechnicians) {
                case .delivered, .skipped:
                    health?.success("hub_billing", tenantID: report.tenantID)
                    try await reports.sent(report)
                    accepted += 1
                case .retry(let error, let after):
                    health?.failure("hub_billing", tenantID: report.tenantID, error: "report of \(report.day): \(error)")
                    if report.attempts >= retry.maxAttempts {
                        logger.error("billing report \(report.tenantID) \(report.day) given up after \(report.attempts) attempts: \(error)", metadata: ["tenant.id": "\(report.tenantID)"])
                        try await reports.dead(report, error: error)
                    } else {
                        try await reports.retry(report, after: after ?? retry.delay(afterAttempt: report.attempts), error: error, now: now)
                    }
                case .failed(let error):
                    health?.failure("hub_billing", tenantID: report.tenantID, error: "report of \(report.day) refused: \(error)")
                    logger.error("billing report \(report.tenantID) \(report.day) refused: \(error)", metadata: ["tenant.id": "\(report.tenantID)"])
                    try await reports.dead(report, error: error)
                }
            }
        }
    }
}
