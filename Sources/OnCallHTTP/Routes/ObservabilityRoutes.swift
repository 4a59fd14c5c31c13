import Foundation
public import Hummingbird
public import Logging
import OnCallCore
public import OnCallEngine
public import OnCallStore
public import PostgresNIO

/// `GET /metrics` (Prometheus text format, docs/observability.md) and `GET /openapi.json` (docs/api.md).
///
/// `/metrics` takes the operator key (`Authorization: Bearer $OPS_API_KEY`, as Prometheus' `authorization`
/// scrape setting sends it) when one is configured. Counters and histograms come from this node's engine;
/// gauges read the database at scrape time, so every node reports the same cluster-wide depths.
public struct ObservabilityRoutes: Sendable {
    let auth: Authenticator
    let engine: IncidentEngine
    let client: PostgresClient
    let busLag: (@Sendable () async throws -> BusLag?)?
    let logger: Logger

    public init(auth: Authenticator, engine: IncidentEngine, client: PostgresClient, logger: Logger, busLag: (@Sendable () async throws -> BusLag?)? = nil) {
        self.auth = auth
        self.engine = engine
        self.client = client
        self.logger = logger
        self.busLag = busLag
    }

    /// The OpenAPI document, read once from the module's resources.
    public static let openAPI: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else { return Array("{}".utf8) }
        return Array(data)
    }()

    public func register(on router: Router<OnCallRequestContext>) {
        router.get("openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPI)))
        }
        router.get("metrics") { request, _ -> Response in
            if auth.requiresOperatorKey && !auth.isOperator(request) {
                throw APIError(.unauthorized, message: "send the operator key as Authorization: Bearer <OPS_API_KEY>", headers: [.wwwAuthenticate: "Bearer"])
            }
            var text = engine.metrics.emit()
            text += try await databaseGauges()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Figures the database holds: open incidents by state, the outbox by kind, the bus consumer's lag.
    func databaseGauges() async throws -> String {
        var out = ""
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        func label(_ pairs: (String, String)...) -> String {
            "{" + pairs.map { "\($0.0)=\"\($0.1.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n"))\"" }
                .joined(separator: ",") + "}"
        }
        var states: [(String, String)] = []
        for try await (state, count) in try await client.query("SELECT state, count(*)::bigint FROM incidents WHERE is_open GROUP BY state ORDER BY state", logger: logger)
            .decode((String, Int64).self) {
            states.append((label(("state", state)), String(count)))
        }
        gauge("oncall_incidents_open", "Open incidents by workflow state", states)
        var depth: [(String, String)] = [], oldest: [(String, String)] = [], attempts: [(String, String)] = []
        for try await (kind, status, count, age, tries) in try await client.query(
            """
            SELECT kind, status, count(*)::bigint, COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8, COALESCE(sum(attempts), 0)::bigint
            FROM outbox GROUP BY kind, status ORDER BY kind, status
            """,
            logger: logger
        ).decode((String, String, Int64, Double, Int64).self) {
            depth.append((label(("kind", kind), ("status", status)), String(count)))
            if status == "pending" { oldest.append((label(("kind", kind)), String(format: "%.3f", age))) }
            attempts.append((label(("kind", kind), ("status", status)), String(tries)))
        }
        gauge("oncall_outbox_depth", "Outbox rows not delivered yet, by kind and status (pending or dead)", depth)
        gauge("oncall_outbox_oldest_pending_seconds", "Age of the oldest pending outbox row, by kind", oldest)
        gauge("oncall_outbox_attempts", "Delivery attempts spent on rows still in the outbox, by kind and status", attempts)
        var timers: [(String, String)] = []
        for try await (armed, overdue) in try await client.query(
            "SELECT count(*)::bigint, count(*) FILTER (WHERE due_at < now() - interval '60 seconds')::bigint FROM incident_timers", logger: logger
        ).decode((Int64, Int64).self) {
            timers = [(label(("status", "armed")), String(armed)), (label(("status", "overdue")), String(overdue))]
        }
        gauge("oncall_timers", "Armed timers, and those more than 60 s overdue", timers)
        if let busLag, let lag = try? await busLag() {
            gauge("oncall_bus_consumer_lag_messages", "Bus messages the consumer group has not taken yet", [("", String(lag.messages))])
            gauge("oncall_bus_consumer_lag_seconds", "Age of the oldest bus message not taken yet", [("", String(format: "%.3f", lag.oldestSeconds))])
        }
        return out
    }
}
