import Crypto
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import OnCallCore
import OnCallEngine
import OnCallStore
public import PostgresNIO

/// `GET /ops`: the ops dashboard (docs/ops.md), one server-rendered page, no script: every tenant's open
/// incidents, dead letters and overdue timers at a glance, and per tenant (`?tenant=`) open incidents by state, stuck
/// workflows, the outbox with retry buttons for dead letters, and integration health. It reloads itself
/// every 15 s. Operator only: the browser asks for a password (HTTP Basic, any user name, `OPS_API_KEY`).
public struct DashboardRoutes: Sendable {
    let auth: Authenticator
    let ops: OpsRoutes
    let client: PostgresClient
    let logger: Logger
    /// Forms carry a token derived from the operator key, so another site cannot make a logged-in browser post.
    let formKey: SymmetricKey

    public init(auth: Authenticator, ops: OpsRoutes, client: PostgresClient, logger: Logger, formSecret: [UInt8]) {
        self.auth = auth
        self.ops = ops
        self.client = client
        self.logger = logger
        self.formKey = SymmetricKey(data: formSecret)
    }

    public func register(on router: Router<OnCallRequestContext>) {
        router.get("ops") { request, _ -> Response in
            try requireOperator(request)
            let tenant = request.uri.queryParameters["tenant"].map(String.init)
            let body: String
            if let tenant, !tenant.isEmpty {
                guard ConfigurationValidator.isValidTenantID(tenant) else { throw APIError(.badRequest, message: "tenant: not a tenant id") }
                guard try await exists(tenant) else { throw APIError(.notFound, message: "no tenant '\(tenant)'") }
                body = try await tenantPage(tenant, flash: request.uri.queryParameters["done"].map(String.init))
            } else {
                body = try await overview()
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        // The retry buttons: a form post, then back to the tenant's page (303) saying what happened.
        router.post("ops/retry") { request, _ -> Response in
            try requireOperator(request)
            let form = try await Self.form(request)
            guard let tenant = form["tenant"], ConfigurationValidator.isValidTenantID(tenant) else { throw APIError(.badRequest, message: "tenant: required") }
            guard let token = form["token"], ConstantTime.equals(token, formToken(tenant)) else {
                throw APIError(.forbidden, message: "the form is stale or from another site: reload /ops and try again")
            }
            let count: Int
            if let id = form["id"].flatMap(Int64.init) {
                count = try await ops.queue.revive(tenantID: tenant, id: id, kind: nil, by: "ops")
            } else {
                count = try await ops.queue.revive(tenantID: tenant, id: nil, kind: form["kind"].flatMap { $0.isEmpty ? nil : $0 }, by: "ops")
            }
            let encodedTenant = tenant.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? tenant
            return Response(status: .seeOther, headers: [.location: "/ops?tenant=\(encodedTenant)&done=retried+\(count)"])
        }
    }

    func exists(_ tenant: String) async throws -> Bool {
        for try await _ in try await client.query("SELECT 1 FROM tenants WHERE id = \(tenant)", logger: logger) { return true }
        return false
    }

    func requireOperator(_ request: Request) throws {
        guard auth.isOperator(request) else {
            throw APIError(.unauthorized, message: "the ops page takes the operator key (any user name, OPS_API_KEY as the password)",
                           headers: [.wwwAuthenticate: #"Basic realm="oncall ops", charset="UTF-8""#])
        }
    }

    func formToken(_ tenant: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array("ops-form:\(tenant)".utf8), using: formKey).map { String(format: "%02x", $0) }.joined()
    }

    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 16 * 1024)
        var form: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2 { form[parts[0]] = parts[1] }
        }
        return form
    }

    // MARK: Pages

    func overview() async throws -> String {
        var rows = ""
        for try await (id, name, open, triggered, escalating, acknowledged, dead, overdue) in try await client.query(
            """
            SELECT t.id, t.name,
                   (SELECT count(*) FROM incidents i WHERE i.tenant_id = t.id AND i.is_open)::bigint,
                   (SELECT count(*) FROM incidents i WHERE i.tenant_id = t.id AND i.is_open AND i.state = 'triggered')::bigint,
                   (SELECT count(*) FROM incidents i WHERE i.tenant_id = t.id AND i.is_open AND i.state = 'escalating')::bigint,
                   (SELECT count(*) FROM incidents i WHERE i.tenant_id = t.id AND i.is_open AND i.state = 'acknowledged')::bigint,
                   (SELECT count(*) FROM outbox o WHERE o.tenant_id = t.id AND o.status = 'dead')::bigint,
                   (SELECT count(*) FROM incident_timers m WHERE m.tenant_id = t.id AND m.due_at < now() - interval '60 seconds')::bigint
            FROM tenants t ORDER BY t.id
            """,
            logger: logger
        ).decode((String, String, Int64, Int64, Int64, Int64, Int64, Int64).self) {
            let attention = dead + overdue > 0 ? " class=\"bad\"" : ""
            rows += "<tr\(attention)><td><a href=\"/ops?tenant=\(Self.escape(id))\">\(Self.escape(id))</a></td><td>\(Self.escape(name))</td>"
                + "<td>\(open)</td><td>\(triggered)</td><td>\(escalating)</td><td>\(acknowledged)</td><td>\(dead)</td><td>\(overdue)</td></tr>\n"
        }
        let table = rows.isEmpty ? "<p class=\"empty\">No tenants yet.</p>"
            : "<table><tr><th>tenant</th><th>name</th><th>open</th><th>triggered</th><th>escalating</th><th>acknowledged</th><th>dead letters</th><th>overdue timers</th></tr>\n\(rows)</table>"
        return Self.page(title: "On-Call ops", reload: "/ops", body: """
            <section id="tenants"><h2>Tenants</h2>\(table)</section>
            """)
    }

    func tenantPage(_ tenant: String, flash: String?) async throws -> String {
        var body = flash.map { "<p class=\"flash\">\(Self.escape($0))</p>" } ?? ""

        var states = ""
        for try await (state, count) in try await client.query(
            "SELECT state, count(*)::bigint FROM incidents WHERE tenant_id = \(tenant) AND is_open GROUP BY state ORDER BY state", logger: logger
        ).decode((String, Int64).self) {
            states += "<tr><td>\(Self.escape(state))</td><td>\(count)</td></tr>"
        }
        var filter = IncidentStore.Filter()
        filter.open = true
        let recent = try await ops.engine.store.list(tenantID: tenant, filter: filter, before: nil, limit: 20)
        let now = Date()
        let incidents = recent.map { record in
            "<tr class=\"\(Self.escape(record.state))\"><td>#\(record.number)</td><td>\(Self.escape(record.title))</td><td>\(Self.escape(record.severity.rawValue))</td>"
                + "<td>\(Self.escape(record.state))</td><td>\(Self.escape(record.serviceID))</td><td>\(Self.age(now.timeIntervalSince(record.createdAt.date)))</td></tr>"
        }.joined(separator: "\n")
        body += """
            <section id="open-incidents"><h2>Open incidents by state</h2>
            \(states.isEmpty ? "<p class=\"empty\">None open.</p>" : "<table><tr><th>state</th><th>count</th></tr>\(states)</table>")
            \(incidents.isEmpty ? "" : "<h3>Newest open (up to 20)</h3><table><tr><th>#</th><th>title</th><th>severity</th><th>state</th><th>service</th><th>age</th></tr>\n\(incidents)</table>")
            </section>
            """

        let stuck = try await ops.engine.stuck.list(tenantID: tenant, limit: 100).map { item in
            "<tr class=\"bad\"><td>#\(item.number)</td><td>\(Self.escape(item.title))</td><td>\(item.reason.rawValue)</td><td>\(Self.escape(item.detail))</td>"
                + "<td>\(Self.age(now.timeIntervalSince(item.since)))</td></tr>"
        }.joined(separator: "\n")
        body += """
            <section id="stuck-workflows"><h2>Stuck workflows</h2>
            \(stuck.isEmpty ? "<p class=\"empty\">Nothing stuck.</p>" : "<table><tr><th>#</th><th>title</th><th>reason</th><th>detail</th><th>stuck for</th></tr>\n\(stuck)</table>")
            <p class="hint">Repairs: <code>oncall ops rearm ID</code>, <code>oncall ops force ID STATE --reason …</code> (docs/ops.md).</p>
            </section>
            """

        let token = formToken(tenant)
        let rows = try await ops.queue.rows(tenantID: tenant, status: nil, kind: nil, limit: 200)
        let outbox = rows.map { row in
            let button = row.status == "dead"
                ? "<form method=\"post\" action=\"/ops/retry\"><input type=\"hidden\" name=\"tenant\" value=\"\(Self.escape(tenant))\"><input type=\"hidden\" name=\"token\" value=\"\(token)\"><input type=\"hidden\" name=\"id\" value=\"\(row.id)\"><button>Retry</button></form>"
                : ""
            return "<tr class=\"\(row.status)\"><td>\(row.id)</td><td>\(row.incidentID.uuidString.lowercased().prefix(8))</td><td>\(Self.escape(row.kind))</td><td>\(row.status)</td><td>\(row.attempts)</td>"
                + "<td>\(Self.escape(row.lastError ?? ""))</td><td>\(Self.age(now.timeIntervalSince(row.createdAt)))</td><td>\(button)</td></tr>"
        }.joined(separator: "\n")
        let dead = rows.filter { $0.status == "dead" }.count
        let retryAll = dead > 1
            ? "<form method=\"post\" action=\"/ops/retry\"><input type=\"hidden\" name=\"tenant\" value=\"\(Self.escape(tenant))\"><input type=\"hidden\" name=\"token\" value=\"\(token)\"><button>Retry all \(dead) dead letters</button></form>"
            : ""
        body += """
            <section id="outbox"><h2>Outbox and dead letters</h2>
            \(outbox.isEmpty ? "<p class=\"empty\">Nothing waiting.</p>" : "<table><tr><th>id</th><th>incident</th><th>kind</th><th>status</th><th>attempts</th><th>last error</th><th>age</th><th></th></tr>\n\(outbox)</table>")
            \(retryAll)
            </section>
            """

        let seen = try await ops.engine.health.read(tenantID: tenant)
        let integrations = OpsRoutes.watched.map { watched in
            let configured = ops.integrations.first { $0.name == watched.configuredBy }?.configured ?? false
            let entry = seen[watched.name]
            let failing = entry?.lastErrorAt != nil && (entry?.lastSuccess == nil || entry!.lastErrorAt! > entry!.lastSuccess!)
            let health = !configured ? "not configured" : failing ? "failing" : entry?.lastSuccess != nil ? "ok" : "no traffic yet"
            func when(_ date: Date?) -> String { date.map { Self.age(now.timeIntervalSince($0)) + " ago" } ?? "—" }
            return "<tr class=\"\(failing ? "bad" : configured ? "good" : "off")\"><td>\(watched.name)</td><td>\(health)</td><td>\(when(entry?.lastSuccess))</td>"
                + "<td>\(when(entry?.lastErrorAt))</td><td>\(Self.escape(entry?.lastError ?? ""))</td><td>\(Self.escape(watched.impact))</td></tr>"
        }.joined(separator: "\n")
        body += """
            <section id="integrations"><h2>Integration health</h2>
            <table><tr><th>integration</th><th>health</th><th>last success</th><th>last failure</th><th>what failed</th><th>what breaks while it fails</th></tr>
            \(integrations)</table>
            </section>
            """
        return Self.page(title: "On-Call ops: \(tenant)", reload: "/ops?tenant=\(Self.escape(tenant))", body: "<p><a href=\"/ops\">All tenants</a></p>\n" + body)
    }

    /// `reload`: where the page reloads itself to (the tenant's page without a one-off message such as "retried 1").
    static func page(title: String, reload: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15; url=\(reload)">
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(escape(title))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
        h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: .5em 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; } tr.bad td, tr.dead td { background: #fde8e8; } tr.good td { background: #eaf7ea; } tr.off td { color: #888; }
        .empty { color: #2a7a2a; } .flash { background: #eef; padding: .4em; } .hint { color: #666; } form { margin: 0; }
        </style></head>
        <body><h1>\(escape(title))</h1>
        \(body)
        <p class="hint">Reloads every 15 s · \(Timestamp(Date()).iso8601)</p>
        </body></html>
        """
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }

    static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(seconds))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3600) h" }
        return "\(s / 86400) d"
    }
}
