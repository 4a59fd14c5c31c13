/// Everything the process reads from its environment, parsed and checked in one place.
///
/// Build it once at start with ``init(environment:)``; a bad value throws a ``ConfigurationError`` naming the
/// variable. Empty variables count as unset. Secrets are held as ``Secret`` so that printing the configuration
/// (``summary``) never shows them. docs/configuration.md lists every variable.
public struct OnCallConfiguration: Sendable {
    /// The HTTP front door.
    public struct HTTP: Sendable, Equatable {
        public var host: String = "0.0.0.0"
        public var port: Int = 8080
        /// PEM files; both set turns TLS (with ALPN h2 and http/1.1) on.
        public var tls: TLSFiles?
        public init() {}
    }

    public struct TLSFiles: Sendable, Equatable {
        public var certificatePath: String
        public var privateKeyPath: String
        public init(certificatePath: String, privateKeyPath: String) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    /// An outbound HTTP peer: its base URL and the `X-Service-Key` we send it.
    public struct ServicePeer: Sendable, Equatable {
        public var url: String
        public var serviceKey: Secret
        public init(url: String, serviceKey: Secret) {
            self.url = url
            self.serviceKey = serviceKey
        }
    }

    /// How Hub-issued JWTs are verified.
    public struct HubSSO: Sendable, Equatable {
        public var sharedSecret: Secret?
        public var jwksURL: String?
        public var issuer: String?
    }

    public var http = HTTP()
    /// `DATABASE_URL`; nil starts the embedded cluster.
    public var databaseURL: DatabaseURL?
    /// `ONCALL_DATA_DIR`: where the embedded cluster lives (default `./.oncall`).
    public var dataDirectory: String = ".oncall"
    /// `ONCALL_PUBLIC_URL`: the base of links in pages (acknowledge links).
    public var publicURL: String?

    /// Where people and tools reach this server: `ONCALL_PUBLIC_URL`, else the listening address (a wildcard
    /// host as `localhost`, which is right on the machine itself and says that the variable should be set).
    public var externalURL: String {
        if let publicURL { return publicURL }
        let host = ["0.0.0.0", "::", "[::]", ""].contains(http.host) ? "localhost" : http.host
        return "\(http.tls == nil ? "http" : "https")://\(host):\(http.port)"
    }
    /// `DEFEND_SERVICE_KEY`: what Defend sends in `X-Service-Key`.
    public var defendServiceKey: Secret?
    /// `BUS_CONNECTION_STRING`: the event bus (RMM, Security, Backups in; lifecycle events out).
    public var busConnectionString: Secret?
    /// `PSA_API_URL` + `PSA_SERVICE_KEY`.
    public var psa: ServicePeer?
    /// `HUB_JWT_SECRET` / `HUB_JWKS_URL` / `HUB_JWT_ISSUER`.
    public var hubSSO: HubSSO?
    /// `HUB_API_URL` + `HUB_SERVICE_KEY` (billing reports).
    public var hubBilling: ServicePeer?
    /// `SMS_API_URL` + `SMS_ACCOUNT_SID` + `SMS_AUTH_TOKEN` + `SMS_FROM`: a Twilio-compatible SMS API.
    public var sms: SMSGateway?
    /// `SMTP_URL` + `SMTP_FROM` (+ `SMTP_CA_FILE`): the mail server email pages go through.
    public var smtp: SMTPServer?

    public struct SMTPServer: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// `smtps://`: TLS from the start; `smtp://`: STARTTLS when the server offers it.
        public var implicitTLS: Bool
        public var username: String?
        public var password: Secret?
        public var from: String
        public var caFile: String?
        public init(host: String, port: Int, implicitTLS: Bool, username: String?, password: Secret?, from: String, caFile: String?) {
            self.host = host
            self.port = port
            self.implicitTLS = implicitTLS
            self.username = username
            self.password = password
            self.from = from
            self.caFile = caFile
        }
    }

    public struct SMSGateway: Sendable, Equatable {
        public var url: String
        public var accountSID: String
        public var authToken: Secret
        /// The sender number (E.164).
        public var from: String
        public init(url: String, accountSID: String, authToken: Secret, from: String) {
            self.url = url
            self.accountSID = accountSID
            self.authToken = authToken
            self.from = from
        }
    }
    /// `OPS_API_KEY`: guards the ops API.
    public var opsAPIKey: Secret?
    /// `ONCALL_WORKFLOWS_DIR`: where the workflow files are (default `./workflows`).
    public var workflowsDirectory: String?
    /// `ONCALL_NODE_NAME`: this node in leases and logs (default host name and process id).
    public var nodeName: String?
    /// `ONCALL_CLAIM_LEASE`: how long a node holds a claimed timer or outbox row before another may take it (30s).
    public var claimLease: Duration = .seconds(30)
    /// `ONCALL_LOG_LEVEL` (trace … critical), default info.
    public var logLevel: String = "info"
    /// `ONCALL_LOG_FORMAT`: `json` (one object per line, default) or `text` (for a terminal).
    public var logFormat: String = "json"

    /// The defaults: every integration off, embedded database, 0.0.0.0:8080.
    public init() {}

    /// Reads and checks every variable On-Call knows.
    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = environment.filter { !$0.value.trimmingWhitespace.isEmpty }.mapValues { $0.trimmingWhitespace }
        func fail(_ name: String, _ reason: String) -> ConfigurationError { ConfigurationError(variable: name, reason: reason) }

        if let host = env["ONCALL_HTTP_HOST"] { http.host = host }
        if let port = env["ONCALL_HTTP_PORT"] {
            guard let value = Int(port), (0...65535).contains(value) else {
                throw fail("ONCALL_HTTP_PORT", "'\(port)' is not a port number from 0 to 65535")
            }
            http.port = value
        }
        switch (env["ONCALL_TLS_CERT"], env["ONCALL_TLS_KEY"]) {
        case (let cert?, let key?): http.tls = TLSFiles(certificatePath: cert, privateKeyPath: key)
        case (nil, nil): break
        case (nil, _?): throw fail("ONCALL_TLS_CERT", "is unset while ONCALL_TLS_KEY is set; TLS needs both PEM files")
        case (_?, nil): throw fail("ONCALL_TLS_KEY", "is unset while ONCALL_TLS_CERT is set; TLS needs both PEM files")
        }

        if let url = env["DATABASE_URL"] { databaseURL = try DatabaseURL(parsing: url, variable: "DATABASE_URL") }
        if let dir = env["ONCALL_DATA_DIR"] { dataDirectory = dir }
        if let url = env["ONCALL_PUBLIC_URL"] { publicURL = try Self.httpURL(url, "ONCALL_PUBLIC_URL") }

        defendServiceKey = env["DEFEND_SERVICE_KEY"].map(Secret.init)
        if let bus = env["BUS_CONNECTION_STRING"] {
            let scheme = bus.prefix(while: { $0 != ":" }).lowercased()
            guard bus.contains("://") else {
                throw fail("BUS_CONNECTION_STRING", "is not a URL (expected scheme://…, for example postgres://…)")
            }
            guard BusTransportKind(scheme: scheme) != nil else {
                throw fail("BUS_CONNECTION_STRING", "scheme '\(scheme)' is not supported (supported: postgres, postgresql)")
            }
            busConnectionString = Secret(bus)
        }

        psa = try Self.peer(env, url: "PSA_API_URL", key: "PSA_SERVICE_KEY")
        hubBilling = try Self.peer(env, url: "HUB_API_URL", key: "HUB_SERVICE_KEY")
        switch (env["SMTP_URL"], env["SMTP_FROM"]) {
        case (nil, nil): break
        case (let url?, let from?): smtp = try Self.smtpServer(url, from: from, caFile: env["SMTP_CA_FILE"])
        case (nil, _?): throw fail("SMTP_URL", "is unset while SMTP_FROM is set; set both or neither")
        case (_?, nil): throw fail("SMTP_FROM", "is unset while SMTP_URL is set; set both or neither")
        }
        let smsNames = ["SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"]
        let smsSet = smsNames.filter { env[$0] != nil }
        if smsSet.count == smsNames.count {
            sms = SMSGateway(url: try Self.httpURL(env["SMS_API_URL"]!, "SMS_API_URL"), accountSID: env["SMS_ACCOUNT_SID"]!,
                             authToken: Secret(env["SMS_AUTH_TOKEN"]!), from: env["SMS_FROM"]!)
        } else if let missing = smsNames.first(where: { env[$0] == nil }), !smsSet.isEmpty {
            throw fail(missing, "is unset while \(smsSet.joined(separator: ", ")) \(smsSet.count == 1 ? "is" : "are") set; SMS needs all four")
        }

        let jwks = try env["HUB_JWKS_URL"].map { url throws(ConfigurationError) in try Self.httpURL(url, "HUB_JWKS_URL") }
        let jwtSecret = env["HUB_JWT_SECRET"].map(Secret.init)
        if let jwtSecret, jwtSecret.value.utf8.count < 32 {
            throw fail("HUB_JWT_SECRET", "is \(jwtSecret.value.utf8.count) bytes; HS256 needs at least 32 (RFC 7518 section 3.2)")
        }
        if jwks != nil || jwtSecret != nil {
            hubSSO = HubSSO(sharedSecret: jwtSecret, jwksURL: jwks, issuer: env["HUB_JWT_ISSUER"])
        } else if env["HUB_JWT_ISSUER"] != nil {
            throw fail("HUB_JWT_ISSUER", "is set but neither HUB_JWT_SECRET nor HUB_JWKS_URL is, so no token can be verified")
        }

        opsAPIKey = env["OPS_API_KEY"].map(Secret.init)
        workflowsDirectory = env["ONCALL_WORKFLOWS_DIR"]
        nodeName = env["ONCALL_NODE_NAME"]
        if let lease = env["ONCALL_CLAIM_LEASE"] {
            guard let duration = DurationText.parse(lease), duration >= .seconds(1), duration <= .seconds(3600) else {
                throw fail("ONCALL_CLAIM_LEASE", "'\(lease)' is not a duration from 1s to 1h (for example 30s)")
            }
            claimLease = duration
        }
        if let level = env["ONCALL_LOG_LEVEL"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level.lowercased()) else {
                throw fail("ONCALL_LOG_LEVEL", "'\(level)' is not one of \(levels.joined(separator: ", "))")
            }
            logLevel = level.lowercased()
        }
        if let format = env["ONCALL_LOG_FORMAT"] {
            guard format == "json" || format == "text" else { throw fail("ONCALL_LOG_FORMAT", "'\(format)' is not json or text") }
            logFormat = format
        }
    }

    /// One line per setting, secrets shown only as set or unset: safe for logs and `oncall doctor`.
    public var summary: [(name: String, value: String)] {
        func secret(_ s: Secret?) -> String { s == nil ? "unset" : "set" }
        return [
            ("ONCALL_HTTP_HOST", http.host),
            ("ONCALL_HTTP_PORT", String(http.port)),
            ("ONCALL_TLS_CERT", http.tls?.certificatePath ?? "unset"),
            ("ONCALL_TLS_KEY", http.tls?.privateKeyPath ?? "unset"),
            ("DATABASE_URL", databaseURL?.description ?? "unset (embedded PostgreSQL)"),
            ("ONCALL_DATA_DIR", dataDirectory),
            ("ONCALL_PUBLIC_URL", publicURL ?? "unset"),
            ("DEFEND_SERVICE_KEY", secret(defendServiceKey)),
            ("BUS_CONNECTION_STRING", secret(busConnectionString)),
            ("PSA_API_URL", psa?.url ?? "unset"),
            ("PSA_SERVICE_KEY", secret(psa?.serviceKey)),
            ("HUB_JWT_SECRET", secret(hubSSO?.sharedSecret)),
            ("HUB_JWKS_URL", hubSSO?.jwksURL ?? "unset"),
            ("HUB_JWT_ISSUER", hubSSO?.issuer ?? "unset"),
            ("HUB_API_URL", hubBilling?.url ?? "unset"),
            ("HUB_SERVICE_KEY", secret(hubBilling?.serviceKey)),
            ("SMS_API_URL", sms?.url ?? "unset"),
            ("SMS_ACCOUNT_SID", sms?.accountSID ?? "unset"),
            ("SMS_AUTH_TOKEN", secret(sms?.authToken)),
            ("SMS_FROM", sms?.from ?? "unset"),
            ("SMTP_URL", smtp.map { "\($0.implicitTLS ? "smtps" : "smtp")://\($0.username.map { "\($0):…@" } ?? "")\($0.host):\($0.port)" } ?? "unset"),
            ("SMTP_FROM", smtp?.from ?? "unset"),
            ("OPS_API_KEY", secret(opsAPIKey)),
            ("ONCALL_WORKFLOWS_DIR", workflowsDirectory ?? "./workflows"),
            ("ONCALL_NODE_NAME", nodeName ?? "host name and process id"),
            ("ONCALL_CLAIM_LEASE", DurationText.format(claimLease)),
            ("ONCALL_LOG_LEVEL", logLevel),
            ("ONCALL_LOG_FORMAT", logFormat),
        ]
    }

    private static func peer(_ env: [String: String], url urlName: String, key keyName: String) throws(ConfigurationError) -> ServicePeer? {
        switch (env[urlName], env[keyName]) {
        case (nil, nil): return nil
        case (let url?, let key?): return ServicePeer(url: try httpURL(url, urlName), serviceKey: Secret(key))
        case (nil, _?): throw ConfigurationError(variable: urlName, reason: "is unset while \(keyName) is set; set both or neither")
        case (_?, nil): throw ConfigurationError(variable: keyName, reason: "is unset while \(urlName) is set; set both or neither")
        }
    }

    /// `smtp://[user[:password]@]host[:port]` (587 by default) or `smtps://…` (465).
    static func smtpServer(_ text: String, from: String, caFile: String?) throws(ConfigurationError) -> SMTPServer {
        let lower = text.lowercased()
        let implicitTLS: Bool
        if lower.hasPrefix("smtps://") { implicitTLS = true } else if lower.hasPrefix("smtp://") { implicitTLS = false } else {
            throw ConfigurationError(variable: "SMTP_URL", reason: "'\(text.split(separator: "@").last ?? "")' is not an smtp:// or smtps:// URL")
        }
        var rest = Substring(text.drop { $0 != ":" }.dropFirst(3))
        while rest.hasSuffix("/") { rest.removeLast() }
        var username: String?, password: Secret?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            username = parts.first
            if parts.count == 2 { password = Secret(parts[1]) }
        }
        var host = String(rest), port = implicitTLS ? 465 : 587
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65535).contains(value) else {
                throw ConfigurationError(variable: "SMTP_URL", reason: "the port after '\(rest[..<colon])' is not a number from 1 to 65535")
            }
            host = String(rest[..<colon])
            port = value
        }
        guard !host.isEmpty else { throw ConfigurationError(variable: "SMTP_URL", reason: "has no host") }
        guard from.contains("@") else { throw ConfigurationError(variable: "SMTP_FROM", reason: "'\(from)' is not an email address") }
        return SMTPServer(host: host, port: port, implicitTLS: implicitTLS, username: username, password: password, from: from, caFile: caFile)
    }

    /// Checks an absolute http(s) URL and drops a trailing slash so paths can be appended.
    static func httpURL(_ text: String, _ name: String) throws(ConfigurationError) -> String {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw ConfigurationError(variable: name, reason: "'\(text)' is not an http:// or https:// URL")
        }
        let afterScheme = text.drop(while: { $0 != ":" }).dropFirst(3)
        guard let first = afterScheme.first, first != "/", !afterScheme.contains(" ") else {
            throw ConfigurationError(variable: name, reason: "'\(text)' has no host")
        }
        var result = text
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }
}

/// The event bus transports `BUS_CONNECTION_STRING` may name.
public enum BusTransportKind: String, Sendable {
    case postgres

    public init?(scheme: String) {
        switch scheme {
        case "postgres", "postgresql": self = .postgres
        default: return nil
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
