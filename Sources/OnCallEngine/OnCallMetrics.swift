public import Prometheus
import Synchronization

/// What this node counts for `/metrics` (docs/observability.md). Counters and histograms live here, in a registry
/// the engine owns (no process-wide bootstrap: every test server has its own); figures read from the database
/// at scrape time (incidents by state, outbox depth) are added by the route.
public final class OnCallMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let lateness: DurationHistogram
    /// Labelled counters, created on first use and kept (the registry hands back the same one per label set, but
    /// under its lock and with an allocation; a hot path should not pay that every time).
    private let counters = Mutex<[CounterKey: Counter]>([:])

    /// Every counter here has two labels: the key is their values, no string built per request.
    struct CounterKey: Hashable {
        var name: String
        var first: String
        var second: String
    }

    public init() {
        lateness = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "oncall", metricName: "timer_lateness", unitName: "seconds",
                                             helpText: "How late timers fired after their due time"),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120)]
        )
    }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        let key = CounterKey(name: name, first: labels[0].1, second: labels[1].1)
        if let counter = counters.withLock({ $0[key] }) { return counter }
        let counter = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "oncall", metricName: name, unitName: "total", helpText: help), labels: labels)
        counters.withLock { $0[key] = counter }
        return counter
    }

    /// A state change of an incident's workflow.
    public func transition(from: String, to: String) {
        counter("incident_transitions", "Incident state changes", [("from", from), ("to", to)]).increment()
    }

    public func timerFired(lateness duration: Duration) {
        lateness.record(max(duration, .zero))
    }

    /// A page's delivery attempt: `channel` webhook, slack, teams, sms, email; `result` delivered, retry, dead, skipped.
    public func pageDelivery(channel: String, result: String) {
        counter("page_deliveries", "Page delivery attempts by channel and result", [("channel", channel), ("result", result)]).increment()
    }

    /// Any other side effect's attempt (`psa.create_ticket`, `publish`, …).
    public func delivery(kind: String, result: String) {
        counter("deliveries", "Side-effect delivery attempts (PSA, Hub events) by kind and result", [("kind", kind), ("result", result)]).increment()
    }

    /// An inbound alert request: `source` nagios, zabbix, …, defend; `status` the HTTP status answered.
    public func webhookRequest(source: String, status: Int) {
        counter("webhook_requests", "Inbound alert requests by source and HTTP status", [("source", source), ("status", String(status))]).increment()
    }

    /// A bus message handled (or skipped) by the consumer.
    public func busMessage(source: String, result: String) {
        counter("bus_messages", "Bus messages taken by source product and result", [("source", source), ("result", result)]).increment()
    }

    public func emit() -> String {
        registry.emitToString()
    }
}
