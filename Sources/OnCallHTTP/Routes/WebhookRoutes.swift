import Foundation
import HTTPTypes
import Logging
public import Hummingbird
public import OnCallCore
public import OnCallEngine
import OnCallParsers
public import OnCallStore
import Synchronization

/// `POST /api/webhooks/{webhook id}`: monitoring tools' alerts, authenticated by the integration's key
/// (`X-Integration-Key` or `?key=`), parsed by the integration type's parser, and committed before the answer.
///
/// A heartbeat integration's requests (POST or GET, any body) are check-ins, answered 202 `{"action":"check_in",
/// …,"next_due"}`. Answers 202 with `{"action","dedup_key","incident_id","deduplicated"}` for one alert, `{"alerts":[…]}`
/// for a payload with several (or none: a notification type that means nothing here). Refusals: 401 with one
/// body whatever was wrong (unknown id, wrong or missing key, a bridge key), 415 for a content type no tool
/// sends, 413 over 1 MiB, 400 for a body its parser cannot read (saying where), 429 with `Retry-After` over
/// the integration's rate.
public struct WebhookRoutes: Sendable {
    public static let maximumBody = 1024 * 1024

    let domain: DomainStore
    let engine: IncidentEngine
    let alertLog: AlertLogWriter
    let clock: @Sendable () -> Timestamp
    let limiter = RateLimiter()
    let integrations: IntegrationCache

    public init(domain: DomainStore, engine: IncidentEngine, alertLog: AlertLogWriter, clock: @escaping @Sendable () -> Timestamp) {
        self.domain = domain
        self.engine = engine
        self.alertLog = alertLog
        self.clock = clock
        let integrations = IntegrationCache(domain: domain)
        self.integrations = integrations
        engine.observeTenantChanges { integrations.forget(tenantID: $0) }
    }

    static let refused = APIError(.unauthorized, message: "unknown integration or wrong key")

    public func register(on router: Router<OnCallRequestContext>) {
        router.post("api/webhooks/:webhook") { request, context -> Response in
            let source = SourceLabel()
            return try await engine.metrics.countingWebhook(source) { try await receive(request, context, source: source) }
        }
        // Heartbeats also take GET (a cron job's `curl URL`); every other integration answers 405 to it.
        router.get("api/webhooks/:webhook") { request, context -> Response in
            let source = SourceLabel()
            return try await engine.metrics.countingWebhook(source) { try await receive(request, context, checkInOnly: true, source: source) }
        }
    }

    func receive(_ request: Request, _ context: OnCallRequestContext, checkInOnly: Bool = false, source: SourceLabel) async throws -> Response {
        let webhookID = try context.parameters.require("webhook")
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where query[String(name)] == nil { query[String(name)] = String(value) }
        guard let key = request.headers[HTTPField.Name("X-Integration-Key")!] ?? query.removeValue(forKey: "key"), !key.isEmpty else {
            throw Self.refused
        }
        query.removeValue(forKey: "key")
        let contentType = request.headers[.contentType]
        if let contentType, !Self.acceptable(contentType) {
            throw APIError(.unsupportedMediaType, message: "send JSON or a form (application/json, application/x-www-form-urlencoded, text/plain), not \(contentType)")
        }
        guard let record = try await integrations.authenticate(webhookID: webhookID, key: key), let service = record.integration.service else {
            throw Self.refused
        }
        source.set(record.integration.type.rawValue)
        let now = clock()
        if let wait = limiter.take(record, now: now) {
            let seconds = max(1, Int((Double(wait.microseconds) / 1_000_000).rounded(.up)))
            // "retry later" in the words: pagerduty_nagios.pl keeps a queued event only when a 4xx says so.
            throw APIError(.tooManyRequests, message: "integration '\(record.integration.id)' is over its rate: retry later (in \(seconds) s)",
                           headers: [.retryAfter: String(seconds)])
        }
        if record.integration.type == .heartbeat {
            return try await checkIn(record, service: service, at: now)
        }
        if checkInOnly {
            throw APIError(.methodNotAllowed, message: "send alerts with POST (GET is for heartbeat check-ins)", headers: [.allow: "POST"])
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBody)
        } catch {
            throw APIError(.contentTooLarge, message: "the body is over \(Self.maximumBody / 1024) KiB")
        }
        let bytes = Array(buffer: body)
        guard let parser = AlertParsers.parser(for: record.integration.type) else { throw Self.refused }
        let payload = InboundPayload(
            body: bytes, contentType: contentType, query: query, options: ParseOptions(grouping: record.integration.grouping ?? .perGroup)
        )
        let alerts: [NormalizedAlert]
        do {
            alerts = try parser.parse(payload)
        } catch {
            throw APIError(.badRequest, message: "\(record.integration.type.rawValue) payload: \(error.message)")
        }
        var keyed = alerts
        if record.integration.type == .pagerduty {
            // PagerDuty makes up a key for a trigger without one and answers with it, so the sender can resolve later.
            for index in keyed.indices where keyed[index].action == .trigger && keyed[index].dedupKey == nil {
                keyed[index].dedupKey = UUID().uuidString.lowercased()
            }
        }
        let outcomes = try await engine.ingest(keyed, tenantID: record.tenantID, serviceID: service, actor: "integration:\(record.integration.id)")
        await log(outcomes, record: record, source: parser.source, at: now, contentType: contentType, body: bytes)
        return Self.answer(outcomes, single: alerts.count == 1, pagerDuty: record.integration.type == .pagerduty)
    }

    /// A heartbeat's check-in: the next one is due after its interval and grace; if it had been missed, the
    /// incident the miss opened is resolved.
    func checkIn(_ record: IntegrationRecord, service: String, at now: Timestamp) async throws -> Response {
        let integration = record.integration
        let heartbeats = Heartbeats(client: domain.client, logger: domain.logger)
        let (wasMissed, due) = try await heartbeats.checkIn(
            tenantID: record.tenantID, integrationID: integration.id, interval: integration.interval ?? .seconds(86_400), grace: integration.grace ?? .zero, at: now
        )
        var incident: UUID?
        if wasMissed {
            incident = try await engine.ingest([HeartbeatAlerts.back(integrationID: integration.id)], tenantID: record.tenantID, serviceID: service,
                                               actor: "integration:\(integration.id)").first?.incidentID
        }
        let text = #"{"action":"check_in","dedup_key":\#(JSONText.quoted(HeartbeatAlerts.dedupKey(integration.id))),"#
            + #""incident_id":\#(incident.map { JSONText.quoted($0.uuidString.lowercased()) } ?? "null"),"deduplicated":false,"next_due":\#(JSONText.quoted(due.iso8601))}"#
        return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Keeps the raw payload with each alert (written in batches; a failure there is logged, never turned into
    /// a refusal: the incident is already committed).
    func log(_ outcomes: [AlertOutcome], record: IntegrationRecord, source: String, at now: Timestamp, contentType: String?, body: [UInt8]) async {
        let entries = outcomes.map { outcome in
            AlertLog.Entry(
                tenantID: record.tenantID, integrationID: record.integration.id, source: source, action: outcome.action.rawValue,
                dedupKey: outcome.dedupKey, incidentID: outcome.incidentID, receivedAt: now, contentType: contentType
            )
        }
        let ignored = entries.isEmpty
            ? [AlertLog.Entry(tenantID: record.tenantID, integrationID: record.integration.id, source: source, action: "ignored",
                              dedupKey: nil, incidentID: nil, receivedAt: now, contentType: contentType)]
            : entries
        alertLog.enqueue(ignored, payload: body)
    }

    /// The 202 body; for a PagerDuty integration also Events API v2's `status` and `message`, which PagerDuty
    /// clients check.
    static func answer(_ outcomes: [AlertOutcome], single: Bool, pagerDuty: Bool = false) -> Response {
        func object(_ outcome: AlertOutcome) -> String {
            #"{"action":\#(JSONText.quoted(outcome.action.rawValue)),"dedup_key":\#(outcome.dedupKey.map(JSONText.quoted) ?? "null"),"#
                + #""incident_id":\#(outcome.incidentID.map { JSONText.quoted($0.uuidString.lowercased()) } ?? "null"),"deduplicated":\#(outcome.deduplicated)"#
                + (pagerDuty ? #","status":"success","message":"Event processed"}"# : "}")
        }
        let text = single && outcomes.count == 1 ? object(outcomes[0]) : #"{"alerts":[\#(outcomes.map(object).joined(separator: ","))]}"#
        return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// What monitoring tools send: JSON of any flavour, forms, plain text (curl without a header), or nothing.
    static func acceptable(_ contentType: String) -> Bool {
        if contentType == "application/json" || contentType == "application/x-www-form-urlencoded" { return true }  // what nearly all send
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type.isEmpty || type == "application/json" || type.hasSuffix("+json") || type == "text/json"
            || type == "application/x-www-form-urlencoded" || type == "text/plain" || type == "*/*" || type == "application/octet-stream"
    }
}

/// Per-integration token buckets on this node (each node counts its own requests).
final class RateLimiter: Sendable {
    private let buckets = Mutex<[String: TokenBucket]>([:])

    /// Nil when the request may go on; otherwise how long until it may.
    func take(_ record: IntegrationRecord, now: Timestamp) -> Duration? {
        let rate = record.integration.ratePerSecond ?? Integration.defaultRatePerSecond
        let burst = record.integration.burst ?? Integration.defaultBurst
        let key = record.webhookID
        return buckets.withLock { buckets in
            var bucket = buckets[key].flatMap { $0.rate == Double(rate) && $0.capacity == Double(burst) ? $0 : nil }
                ?? TokenBucket(ratePerSecond: rate, burst: burst, now: now)
            let wait = bucket.take(now: now)
            buckets[key] = bucket
            return wait
        }
    }
}

/// The source an inbound request turned out to be from, known once its key is checked (`unknown` before).
final class SourceLabel: Sendable {
    private let value = Mutex("unknown")
    func set(_ source: String) { value.withLock { $0 = source } }
    var source: String { value.withLock { $0 } }
}

extension OnCallMetrics {
    /// Runs an inbound alert request and counts its answer by source and status (errors included).
    func countingWebhook(_ label: SourceLabel, _ body: () async throws -> Response) async throws -> Response {
        do {
            let response = try await body()
            webhookRequest(source: label.source, status: Int(response.status.code))
            return response
        } catch let error as APIError {
            webhookRequest(source: label.source, status: Int(error.status.code))
            throw error
        } catch {
            webhookRequest(source: label.source, status: 500)
            throw error
        }
    }
}
