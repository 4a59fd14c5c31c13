/// Which peers of The One Stack are configured, and what does not work for those that are not.
///
/// `oncall doctor`, `/readyz` details and (later) the ops integration page all print this one list, so the
/// wording stays the product documentation's.
public struct IntegrationStatus: Sendable, Equatable, Codable {
    public var name: String
    public var configured: Bool
    /// The variables that configure it.
    public var variables: [String]
    /// What breaks while it is not configured (empty when configured).
    public var impact: String
    /// What the configuration is, when configured (never a secret).
    public var detail: String?
}

public enum IntegrationReport {
    public static func make(_ c: OnCallConfiguration) -> [IntegrationStatus] {
        [
            IntegrationStatus(
                name: "defend",
                configured: c.defendServiceKey != nil,
                variables: ["DEFEND_SERVICE_KEY"],
                impact: "Defend escalations are refused with 401: EDR threats do not become incidents and nobody is paged for them.",
                detail: c.defendServiceKey == nil ? nil : "POST /api/internal/defend/escalations accepts X-Service-Key"
            ),
            IntegrationStatus(
                name: "bus",
                configured: c.busConnectionString != nil,
                variables: ["BUS_CONNECTION_STRING"],
                impact: "RMM, Security and Backups events are not being received, and incident lifecycle events are not published to the Hub.",
                detail: c.busConnectionString == nil ? nil : "transport \(busScheme(c))"
            ),
            IntegrationStatus(
                name: "psa",
                configured: c.psa != nil,
                variables: ["PSA_API_URL", "PSA_SERVICE_KEY"],
                impact: "Acknowledgement still works, but no ticket is made: no billable ticket, no PSA history.",
                detail: c.psa.map { "tickets at \($0.url)" }
            ),
            IntegrationStatus(
                name: "hub_sso",
                configured: c.hubSSO != nil,
                variables: ["HUB_JWT_SECRET", "HUB_JWKS_URL", "HUB_JWT_ISSUER"],
                impact: "Hub-issued tokens cannot be verified: technicians cannot sign in with Hub SSO, and only OPS_API_KEY opens the API.",
                detail: c.hubSSO.map { sso in
                    [sso.sharedSecret != nil ? "HS256 shared secret" : nil, sso.jwksURL.map { "JWKS at \($0)" }, sso.issuer.map { "issuer \($0)" }]
                        .compactMap { $0 }.joined(separator: ", ")
                }
            ),
            IntegrationStatus(
                name: "sms",
                configured: c.sms != nil,
                variables: ["SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"],
                impact: "Technicians' sms contact methods are not paged (their pages are recorded in the timeline as skipped); other channels still are.",
                detail: c.sms.map { "Twilio-compatible API at \($0.url), from \($0.from)" }
            ),
            IntegrationStatus(
                name: "email",
                configured: c.smtp != nil,
                variables: ["SMTP_URL", "SMTP_FROM"],
                impact: "Technicians' email contact methods are not paged (their pages are recorded in the timeline as skipped); other channels still are.",
                detail: c.smtp.map { "SMTP \($0.implicitTLS ? "with TLS" : "with STARTTLS when offered") at \($0.host):\($0.port), from \($0.from)" }
            ),
            IntegrationStatus(
                name: "hub_billing",
                configured: c.hubBilling != nil,
                variables: ["HUB_API_URL", "HUB_SERVICE_KEY"],
                impact: "Daily active technician counts are not reported to Hub Billing, so the tenant is not billed for On-Call seats.",
                detail: c.hubBilling.map { "reports to \($0.url)" }
            ),
            IntegrationStatus(
                name: "database",
                configured: c.databaseURL != nil,
                variables: ["DATABASE_URL"],
                impact: "The embedded PostgreSQL under \(c.dataDirectory)/ is used: fine for one node; several nodes need a shared DATABASE_URL.",
                detail: c.databaseURL?.description
            ),
        ]
    }

    private static func busScheme(_ c: OnCallConfiguration) -> String {
        String(c.busConnectionString?.value.prefix(while: { $0 != ":" }) ?? "")
    }
}
