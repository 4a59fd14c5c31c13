import Foundation
import Hummingbird
import JWTKit
import Logging
import OnCallCore
import OnCallEngine
import OnCallHTTP
import OnCallIntegrations
import OnCallStore
import OnCallTesting

/// The admin API and the incident API in this process, on a real PostgreSQL with the example tenant
/// (fixtures/config/acme.yaml) and a second tenant, verifying real HS256 Hub tokens.
struct AdminHarness: Sendable {
    static let secret = "a-hub-secret-of-at-least-32-bytes!!"
    static let opsKey = "ops-key-for-tests"
    static let defendKey = "defend-key-for-tests"
    let port: Int
    let domain: DomainStore
    let now: Timestamp
    let url: DatabaseURL

    static var repository: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    static func acme() throws -> TenantConfiguration {
        let text = try String(contentsOf: repository.appendingPathComponent("fixtures/config/acme.yaml"), encoding: .utf8)
        return try ConfigurationCodec.decodeDocument(text).tenants[0]
    }

    /// The other tenant: its own ids (so a leak would show) and one id shared with acme (`alice`, `primary`).
    static func other() -> TenantConfiguration {
        TenantConfiguration(
            id: "other-msp", name: "Other MSP", routes: Routes([.rmm: "b-desk"]),
            technicians: [
                Technician(id: "alice", name: "Alice of Other", email: "alice@other.example", hubUserID: "other-alice",
                           contactMethods: [ContactMethod(id: "b-alice-hook", type: .webhook, address: "http://127.0.0.1:9/b")]),
                Technician(id: "b-zoe", name: "Zoe", email: "zoe@other.example", hubUserID: "other-zoe"),
            ],
            schedules: [Schedule(id: "primary", name: "Other primary", timeZone: "UTC", layers: [
                ScheduleLayer(name: "Only", rotation: .weekly, handoff: LocalDateTime("2026-01-05T00:00")!, members: ["b-zoe"]),
            ]), Schedule(id: "b-night", name: "Night", timeZone: "UTC", layers: [
                ScheduleLayer(name: "Only", rotation: .daily, handoff: LocalDateTime("2026-01-05T00:00")!, members: ["alice"]),
            ])],
            escalationPolicies: [EscalationPolicy(id: "b-policy", name: "B", layers: [EscalationLayer(delay: .seconds(300), targets: [.schedule("b-night")])])],
            services: [Service(id: "b-desk", name: "B desk", escalationPolicy: "b-policy")],
            integrations: [Integration(id: "b-hook", type: .generic, service: "b-desk"), Integration(id: "b-wall", type: .bridge, service: nil)]
        )
    }

    /// Runs the server for `body` on a fresh database holding acme and the other tenant.
    static func run(_ label: String = #function, now: Timestamp = Timestamp(Date()), _ body: @Sendable (AdminHarness) async throws -> Void) async throws {
        let url = try await TestDatabase.migrated(label)
        let logger = TestDatabase.logger
        let client = Database.makeClient(url, logger: logger, maximumConnections: 6)
        let domain = DomainStore(client: client, logger: logger)
        let workflows = try WorkflowRegistry.load(directory: repository.appendingPathComponent("workflows").path)
        let engine = IncidentEngine(client: client, workflows: workflows, deliverers: [:], settings: .init(node: "test"), logger: logger)
        let accounts = HubAccounts(client: client, logger: logger)
        let alertLogWriter = AlertLogWriter(log: AlertLog(client: client, logger: logger), interval: .milliseconds(20))
        let clock: @Sendable () -> Timestamp = { now }
        let verifier = try HubTokenVerifier(secret: secret, jwksURL: nil, issuer: "https://hub.test", logger: logger, now: { now.date })
        let auth = Authenticator(opsKey: Secret(opsKey), verifier: verifier, accounts: accounts, clock: clock)
        let admin = AdminContext(domain: domain, auth: auth, engine: engine, publicURL: "https://oncall.test", workflows: Set(workflows.workflows.keys), clock: clock)
        let ops = OpsRoutes(auth: auth, queue: OutboxQueue(client: client, logger: logger, node: "test"), engine: engine,
                            integrations: IntegrationReport.make(OnCallConfiguration()), billing: BillingReports(client: client, logger: logger, node: "test"))
        let router = OnCallApplication.makeRouter(
            health: HealthRoutes(readiness: { Readiness(ready: true, reason: nil) }, integrations: IntegrationReport.make(OnCallConfiguration())),
            incidents: IncidentRoutes(engine: engine, auth: auth),
            admin: AdminRoutes(admin: admin, accounts: accounts, signing: SigningSecrets(client: client, logger: logger)),
            webhooks: WebhookRoutes(domain: domain, engine: engine, alertLog: alertLogWriter, clock: clock),
            defend: DefendRoutes(serviceKey: Secret(defendKey), domain: domain, engine: engine, alertLog: AlertLog(client: client, logger: logger), clock: clock),
            bridge: BridgeRoutes(domain: domain, engine: engine, clock: clock),
            ops: ops,
            observability: ObservabilityRoutes(auth: auth, engine: engine, client: client, logger: logger),
            dashboard: DashboardRoutes(auth: auth, ops: ops, client: client, logger: logger, formSecret: Array(opsKey.utf8))
        )
        try await withLiveServer(services: [client] + engine.services + [alertLogWriter], router: router) { port in
            for tenant in [try acme(), other()] {
                _ = try await domain.update(tenantID: tenant.id) { _ in tenant }
            }
            try await body(AdminHarness(port: port, domain: domain, now: now, url: url))
        }
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var tenant_id: String
        var role: String
        var email: String?
        var name: String?
        var exp: ExpirationClaim
        var iss: IssuerClaim
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    /// A Hub token for a user of a tenant with a Hub role.
    func token(_ role: String, tenant: String = "acme-msp", subject: String? = nil, email: String? = nil, name: String? = nil, issuer: String = "https://hub.test") async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha256)
        let claims = Claims(
            sub: .init(value: subject ?? "user-\(role)-\(tenant)"), tenant_id: tenant, role: role, email: email, name: name,
            exp: .init(value: now.date.addingTimeInterval(3600)), iss: .init(value: issuer)
        )
        return try await keys.sign(claims)
    }

    func request(_ method: String, _ path: String, token: String?, json: String? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        if json != nil { all.append(("Content-Type", "application/json")) }
        return try await TestHTTP.http1(port: port, method, path, headers: all, body: json.map { Array($0.utf8) })
    }

    func `as`(_ role: String, _ method: String, _ path: String, json: String? = nil, tenant: String = "acme-msp") async throws -> TestResponse {
        try await request(method, path, token: try await token(role, tenant: tenant), json: json)
    }
}

extension TestResponse {
    /// The body as any JSON value.
    var anyJSON: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var object: [String: Any] { anyJSON as? [String: Any] ?? [:] }
}
