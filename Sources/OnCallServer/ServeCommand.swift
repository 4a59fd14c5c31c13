import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import OnCallCore
import OnCallEngine
import OnCallIntegrations
import OnCallHTTP
import OnCallStore
import PostgresNIO
import ServiceLifecycle

/// `oncall serve`: migrations, then HTTP/1.1 + HTTP/2 on one port until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the On-Call server (the default command).")

    func run() async throws {
        let configuration = try ProcessEnvironment.configuration()
        let logger = ProcessEnvironment.logger(configuration)
        let runner = try MigrationRunner.bundled()
        let serverBuilder: HTTPServerBuilder
        do {
            serverBuilder = try OnCallApplication.serverBuilder(for: configuration.http)
        } catch let error as ConfigurationError {
            printError("oncall: configuration error: \(error)")
            throw ExitCode(2)
        }

        let workflows: WorkflowRegistry
        do {
            workflows = try WorkflowRegistry.load(directory: WorkflowRegistry.defaultDirectory(configured: configuration.workflowsDirectory))
        } catch {
            printError("oncall: \(error)")
            throw ExitCode(2)
        }

        var verifier: HubTokenVerifier?
        if let sso = configuration.hubSSO {
            do {
                verifier = try HubTokenVerifier(secret: sso.sharedSecret?.value, jwksURL: sso.jwksURL, issuer: sso.issuer, logger: logger)
            } catch {
                printError("oncall: configuration error: \(sso.jwksURL == nil ? "HUB_JWT_SECRET" : "HUB_JWT_SECRET/HUB_JWKS_URL") \(error.message)")
                throw ExitCode(2)
            }
        }

        let database = try await DatabaseSession.open(configuration, logger: logger)
        defer { database.close() }
        try await MigrateCommand.apply(database, runner: runner, logger: logger)

        let client = Database.makeClient(database.url, logger: logger)
        var settings = IncidentEngine.Settings(node: configuration.nodeName ?? "\(ProcessInfo.processInfo.hostName):\(getpid())", publicURL: configuration.publicURL)
        settings.lease = configuration.claimLease
        // Every node signs acknowledge links with the same key, so a link works whichever node serves it.
        settings.ackLinkSecret = try await Database.withConnection(database.url, logger: logger) { connection in
            try await AckLinks.clusterSecret(connection: connection, logger: logger)
        }
        // What leaves through the outbox: a kind with no deliverer (the PSA not configured) is recorded in the
        // timeline as skipped, with the reason, instead of being queued.
        let signing = SigningSecrets(client: client, logger: logger)
        var deliverers: [String: any OutboxDeliverer] = [
            "page.webhook": WebhookPageDeliverer(signingSecret: { try await signing.secret(tenantID: $0) }),
            "page.slack": ChatPageDeliverer(.slack), "page.teams": ChatPageDeliverer(.teams),
        ]
        if let psa = configuration.psa { deliverers["psa"] = PSADeliverer(peer: psa) }
        if let sms = configuration.sms { deliverers["page.sms"] = SMSPageDeliverer(gateway: sms) }
        if let smtp = configuration.smtp {
            let server = SMTPClient.Server(host: smtp.host, port: smtp.port, implicitTLS: smtp.implicitTLS, username: smtp.username,
                                           password: smtp.password?.value, caFile: smtp.caFile)
            deliverers["page.email"] = EmailPageDeliverer(client: SMTPClient(server: server), from: smtp.from)
        }
        // The bus (its own client unless it is the main database) carries lifecycle events out and RMM, Security
        // and Backups messages in.
        let bus = try BusConnection.open(configuration, main: database.url, mainClient: client, logger: logger)
        if let bus { deliverers["publish"] = BusPublishDeliverer(bus: bus.bus) }
        let engine = IncidentEngine(
            client: client,
            workflows: workflows,
            deliverers: deliverers,
            settings: settings,
            logger: logger
        )
        engine.observeTenantChanges { signing.forget(tenantID: $0) }

        let health = HealthRoutes(
            readiness: { await Readiness.check(client: client, runner: runner, logger: logger) },
            integrations: IntegrationReport.make(configuration)
        )
        let http = configuration.http
        let clock: @Sendable () -> Timestamp = { Timestamp(Date()) }
        let accounts = HubAccounts(client: client, logger: logger)
        let auth = Authenticator(opsKey: configuration.opsAPIKey, verifier: verifier, accounts: accounts, health: engine.health, clock: clock)
        let domain = DomainStore(client: client, logger: logger)
        let alertLog = AlertLog(client: client, logger: logger)
        let alertLogWriter = AlertLogWriter(log: alertLog)
        let admin = AdminContext(
            domain: domain, auth: auth, engine: engine,
            publicURL: configuration.externalURL, workflows: Set(workflows.workflows.keys), clock: clock
        )
        var busServices: [any ServiceLifecycle.Service] = []
        if let hub = configuration.hubBilling {
            // Daily active technicians to Hub Billing (docs/hub.md), from any node, each day once.
            busServices.append(BillingReporter(
                reports: BillingReports(client: client, logger: logger, node: settings.node), hub: HubBillingClient(peer: hub), logger: logger, health: engine.health
            ))
        }
        if let bus {
            if bus.ownClient { busServices.append(bus.client) }
            busServices.append(BusConsumer(engine: engine, bus: bus.bus, domain: domain, alertLog: alertLog))
        }

        let ops = OpsRoutes(
            auth: auth, queue: OutboxQueue(client: client, logger: logger, node: settings.node), engine: engine,
            integrations: IntegrationReport.make(configuration), billing: BillingReports(client: client, logger: logger, node: settings.node)
        )
        var busLag: (@Sendable () async throws -> BusLag?)?
        if let messageBus = bus?.bus { busLag = { try await messageBus.lag(group: BusConsumer.group) } }
        let observability = ObservabilityRoutes(auth: auth, engine: engine, client: client, logger: logger, busLag: busLag)
        let dashboard = DashboardRoutes(auth: auth, ops: ops, client: client, logger: logger, formSecret: Array((configuration.opsAPIKey?.value ?? "").utf8))
        let app = Application(
            router: OnCallApplication.makeRouter(
                health: health, incidents: IncidentRoutes(engine: engine, auth: auth), admin: AdminRoutes(admin: admin, accounts: accounts, signing: signing),
                webhooks: WebhookRoutes(domain: domain, engine: engine, alertLog: alertLogWriter, clock: clock),
                defend: DefendRoutes(serviceKey: configuration.defendServiceKey, domain: domain, engine: engine, alertLog: alertLog, clock: clock),
                bridge: BridgeRoutes(domain: domain, engine: engine, clock: clock),
                ops: ops,
                observability: observability, dashboard: dashboard
            ),
            server: serverBuilder,
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: nil),
            services: [client] + engine.services + busServices + [alertLogWriter],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? http.port
                let scheme = http.tls == nil ? "http" : "https"
                let protocols = http.tls == nil ? "HTTP/1.1 and HTTP/2 (h2c)" : "HTTP/1.1 and HTTP/2 over TLS"
                announce("oncall listening on \(scheme)://\(http.host):\(port) (\(protocols))")
            },
            logger: logger
        )
        try await app.runService()
        logger.info("oncall stopped")
    }
}

/// Waits for the database at start, saying so every few seconds, instead of failing a node that starts before it.
enum DatabaseWait {
    static func untilReachable(client: PostgresClient, description: String, logger: Logger) async throws {
        var attempt = 0
        while true {
            attempt += 1
            let outcome: String? = await withTaskGroup(of: String?.self) { group in
                group.addTask {
                    do { try await client.query("SELECT 1", logger: logger); return nil } catch { return "\(error)" }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(5))
                    return "no answer within 5 s"
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let problem = outcome else { return }
            try Task.checkCancellation()
            logger.warning("waiting for the database at \(description) (attempt \(attempt)): \(problem)")
            try await Task.sleep(for: .seconds(1))
        }
    }
}
