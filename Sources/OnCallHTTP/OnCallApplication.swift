public import Hummingbird
public import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import NIOSSL
public import OnCallCore

/// Builds the front door: the router with every route group, and the server channel for the configuration.
public enum OnCallApplication {
    /// The router: JSON errors outermost, then the route groups.
    public static func makeRouter(
        health: HealthRoutes, incidents: IncidentRoutes? = nil, admin: AdminRoutes? = nil, webhooks: WebhookRoutes? = nil, defend: DefendRoutes? = nil,
        bridge: BridgeRoutes? = nil, ops: OpsRoutes? = nil, observability: ObservabilityRoutes? = nil, dashboard: DashboardRoutes? = nil
    ) -> Router<OnCallRequestContext> {
        let router = Router(context: OnCallRequestContext.self)
        router.middlewares.add(JSONErrorMiddleware())
        health.register(on: router)
        incidents?.register(on: router)
        admin?.register(on: router)
        webhooks?.register(on: router)
        defend?.register(on: router)
        bridge?.register(on: router)
        ops?.register(on: router)
        observability?.register(on: router)
        dashboard?.register(on: router)
        return router
    }

    /// Cleartext HTTP/1.1 + h2c on one port, or TLS with ALPN `h2` and `http/1.1` when PEM files are given.
    public static func serverBuilder(for http: OnCallConfiguration.HTTP) throws -> HTTPServerBuilder {
        let configuration = HTTP2ChannelConfiguration(idleTimeout: .seconds(300), gracefulCloseTimeout: .seconds(10), streamConfiguration: .init(idleTimeout: .seconds(120)))
        guard let tls = http.tls else { return .cleartextHTTP1AndHTTP2(configuration: configuration) }
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(tls.certificatePath)
        } catch {
            throw ConfigurationError(variable: "ONCALL_TLS_CERT", reason: "cannot read a PEM certificate from \(tls.certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
        } catch {
            throw ConfigurationError(variable: "ONCALL_TLS_KEY", reason: "cannot read a PEM private key from \(tls.privateKeyPath): \(error)")
        }
        let tlsConfiguration = TLSConfiguration.makeServerConfiguration(certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        return try .http2Upgrade(tlsConfiguration: tlsConfiguration, configuration: configuration)
    }
}
