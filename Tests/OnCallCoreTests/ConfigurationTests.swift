import Testing
@testable import OnCallCore

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test func defaultsWhenNothingIsSet() throws {
        let c = try OnCallConfiguration(environment: [:])
        #expect(c.http.host == "0.0.0.0")
        #expect(c.http.port == 8080)
        #expect(c.http.tls == nil)
        #expect(c.databaseURL == nil)
        #expect(c.dataDirectory == ".oncall")
        #expect(c.psa == nil && c.hubSSO == nil && c.hubBilling == nil && c.defendServiceKey == nil && c.busConnectionString == nil)
    }

    @Test func everyVariableIsRead() throws {
        let c = try OnCallConfiguration(environment: [
            "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "9090",
            "ONCALL_TLS_CERT": "/c.pem", "ONCALL_TLS_KEY": "/k.pem",
            "DATABASE_URL": "postgres://u:p@db:5433/oncall", "ONCALL_DATA_DIR": "/var/lib/oncall",
            "ONCALL_PUBLIC_URL": "https://oncall.example/", "DEFEND_SERVICE_KEY": "d",
            "BUS_CONNECTION_STRING": "postgresql://bus@db/bus", "PSA_API_URL": "https://psa.example/api", "PSA_SERVICE_KEY": "p",
            "HUB_JWKS_URL": "https://hub.example/.well-known/jwks.json", "HUB_JWT_ISSUER": "https://hub.example",
            "HUB_API_URL": "https://hub.example/api", "HUB_SERVICE_KEY": "h", "OPS_API_KEY": "o", "ONCALL_LOG_LEVEL": "DEBUG",
        ])
        #expect(c.http.host == "127.0.0.1" && c.http.port == 9090)
        #expect(c.http.tls == .init(certificatePath: "/c.pem", privateKeyPath: "/k.pem"))
        #expect(c.databaseURL?.endpoint == .tcp(host: "db", port: 5433))
        #expect(c.dataDirectory == "/var/lib/oncall")
        #expect(c.publicURL == "https://oncall.example")
        #expect(c.defendServiceKey?.value == "d")
        #expect(c.busConnectionString?.value == "postgresql://bus@db/bus")
        #expect(c.psa == .init(url: "https://psa.example/api", serviceKey: Secret("p")))
        #expect(c.hubSSO?.jwksURL == "https://hub.example/.well-known/jwks.json" && c.hubSSO?.issuer == "https://hub.example" && c.hubSSO?.sharedSecret == nil)
        #expect(c.hubBilling?.serviceKey.value == "h")
        #expect(c.opsAPIKey?.value == "o")
        #expect(c.logLevel == "debug")
    }

    @Test func theExternalURLIsThePublicURLElseTheListeningAddress() throws {
        #expect(try OnCallConfiguration(environment: ["ONCALL_PUBLIC_URL": "https://oncall.example"]).externalURL == "https://oncall.example")
        #expect(try OnCallConfiguration(environment: [:]).externalURL == "http://localhost:8080")
        #expect(try OnCallConfiguration(environment: ["ONCALL_HTTP_HOST": "10.0.0.5", "ONCALL_HTTP_PORT": "9000"]).externalURL == "http://10.0.0.5:9000")
    }

    @Test func emptyValuesCountAsUnset() throws {
        let c = try OnCallConfiguration(environment: ["DATABASE_URL": "", "PSA_API_URL": "  ", "ONCALL_HTTP_PORT": ""])
        #expect(c.databaseURL == nil && c.psa == nil && c.http.port == 8080)
    }

    @Test(arguments: [
        (["ONCALL_HTTP_PORT": "http"], "ONCALL_HTTP_PORT"),
        (["ONCALL_HTTP_PORT": "70000"], "ONCALL_HTTP_PORT"),
        (["ONCALL_TLS_CERT": "/c.pem"], "ONCALL_TLS_KEY"),
        (["ONCALL_TLS_KEY": "/k.pem"], "ONCALL_TLS_CERT"),
        (["DATABASE_URL": "mysql://x"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://u@db:99999/x"], "DATABASE_URL"),
        (["PSA_API_URL": "https://psa"], "PSA_SERVICE_KEY"),
        (["PSA_SERVICE_KEY": "k"], "PSA_API_URL"),
        (["SMS_API_URL": "https://api.twilio.com", "SMS_FROM": "+15555550199"], "SMS_ACCOUNT_SID"),
        (["SMTP_URL": "smtp://mail.example"], "SMTP_FROM"),
        (["SMTP_URL": "http://mail.example", "SMTP_FROM": "a@b.example"], "SMTP_URL"),
        (["SMTP_URL": "smtp://mail.example:99999", "SMTP_FROM": "a@b.example"], "SMTP_URL"),
        (["SMTP_URL": "smtp://mail.example", "SMTP_FROM": "nobody"], "SMTP_FROM"),
        (["SMS_API_URL": "api.twilio.com", "SMS_ACCOUNT_SID": "AC1", "SMS_AUTH_TOKEN": "t", "SMS_FROM": "+1"], "SMS_API_URL"),
        (["PSA_API_URL": "psa.example", "PSA_SERVICE_KEY": "k"], "PSA_API_URL"),
        (["HUB_API_URL": "https://hub"], "HUB_SERVICE_KEY"),
        (["HUB_JWT_ISSUER": "https://hub"], "HUB_JWT_ISSUER"),
        (["HUB_JWKS_URL": "ftp://hub/jwks"], "HUB_JWKS_URL"),
        (["HUB_JWT_SECRET": "short"], "HUB_JWT_SECRET"),
        (["BUS_CONNECTION_STRING": "kafka://broker:9092"], "BUS_CONNECTION_STRING"),
        (["BUS_CONNECTION_STRING": "not a url"], "BUS_CONNECTION_STRING"),
        (["ONCALL_PUBLIC_URL": "https://"], "ONCALL_PUBLIC_URL"),
        (["ONCALL_LOG_LEVEL": "loud"], "ONCALL_LOG_LEVEL"),
    ])
    func badValueNamesTheVariable(environment: [String: String], variable: String) {
        #expect {
            _ = try OnCallConfiguration(environment: environment)
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test func errorsAndSummaryNeverShowSecrets() throws {
        let secret = "s3cr3t-value-long-enough-for-hs256"
        do {
            _ = try OnCallConfiguration(environment: ["PSA_SERVICE_KEY": secret])
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains(secret))
        }
        let c = try OnCallConfiguration(environment: [
            "DATABASE_URL": "postgres://u:\(secret)@db/x", "DEFEND_SERVICE_KEY": secret, "OPS_API_KEY": secret,
            "HUB_JWT_SECRET": secret, "BUS_CONNECTION_STRING": "postgres://u:\(secret)@db/bus",
        ])
        let printed = c.summary.map { "\($0.name)=\($0.value)" }.joined(separator: "\n") + "\(c.databaseURL!)" + "\(c.defendServiceKey!)"
        #expect(!printed.contains(secret))
        #expect(printed.contains("DEFEND_SERVICE_KEY=set"))
    }
}

@Suite("DATABASE_URL parsing")
struct DatabaseURLTests {
    @Test func tcpWithEverything() throws {
        let url = try DatabaseURL(parsing: "postgresql://al%40ice:p%3Ass@db.example:6543/on%20call?sslmode=require")
        #expect(url.endpoint == .tcp(host: "db.example", port: 6543))
        #expect(url.username == "al@ice")
        #expect(url.password?.value == "p:ss")
        #expect(url.database == "on call")
        #expect(url.tls == .require)
    }

    @Test func unixSocketFolderInTheQuery() throws {
        let url = try DatabaseURL(parsing: "postgres://oncall@/oncall?host=/var/run/postgresql&port=5433")
        #expect(url.endpoint == .unixSocket(directory: "/var/run/postgresql", port: 5433))
        #expect(url.endpoint.socketPath == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(url.tls == .disable)
        let bare = try DatabaseURL(parsing: "postgres:///db?host=%2Ftmp%2Fpg")
        #expect(bare.endpoint == .unixSocket(directory: "/tmp/pg", port: 5432))
        #expect(bare.username == "postgres")
    }

    @Test func defaultsAndIPv6() throws {
        let url = try DatabaseURL(parsing: "postgres://me@[::1]/")
        #expect(url.endpoint == .tcp(host: "::1", port: 5432))
        #expect(url.database == "me")
        #expect(url.tls == .prefer)
    }

    @Test(arguments: [
        "postgres://u:hunter2@db:5432/x?sslmode=disable",
        "postgres://oncall@/oncall?host=/tmp/sock&port=6000",
        "postgres://we%20ird:pa%40ss@[::1]:5433/d%2Fb?sslmode=require",
    ])
    func connectionStringRoundTrips(text: String) throws {
        let url = try DatabaseURL(parsing: text)
        #expect(try DatabaseURL(parsing: url.connectionString) == url)
        #expect(url.password.map { !url.description.contains($0.value) } ?? true)
    }

    @Test(arguments: ["http://db/x", "postgres://db:0/x", "postgres:///x", "postgres://db/x?sslmode=sometimes", "postgres://db/x?host"])
    func refused(text: String) {
        #expect(throws: ConfigurationError.self) { _ = try DatabaseURL(parsing: text) }
    }
}

@Suite("Integration report")
struct IntegrationReportTests {
    @Test func listsEveryPeerWithTheDocumentedImpact() throws {
        let report = IntegrationReport.make(try OnCallConfiguration(environment: [:]))
        #expect(report.map(\.name) == ["defend", "bus", "psa", "hub_sso", "sms", "email", "hub_billing", "database"])
        #expect(report.allSatisfy { !$0.configured })
        #expect(report.first { $0.name == "psa" }?.impact.contains("no billable ticket, no PSA history") == true)
        #expect(report.first { $0.name == "bus" }?.impact.contains("RMM, Security and Backups events are not being received") == true)
    }

    @Test func configuredPeersCarryADetailWithoutSecrets() throws {
        let report = IntegrationReport.make(try OnCallConfiguration(environment: [
            "PSA_API_URL": "https://psa.example", "PSA_SERVICE_KEY": "k1", "HUB_JWT_SECRET": String(repeating: "k2", count: 16), "BUS_CONNECTION_STRING": "postgres://u:k3@h/b",
        ]))
        let psa = try #require(report.first { $0.name == "psa" })
        #expect(psa.configured && psa.detail == "tickets at https://psa.example")
        #expect(report.first { $0.name == "bus" }?.detail == "transport postgres")
        #expect(report.first { $0.name == "hub_sso" }?.configured == true)
        let text = report.compactMap(\.detail).joined()
        #expect(!text.contains("k1") && !text.contains("k2") && !text.contains("k3"))
    }
}

@Suite struct SMTPConfigurationTests {
    @Test func smtpURLsGiveHostPortTLSAndCredentials() throws {
        let plain = try #require(try OnCallConfiguration(environment: ["SMTP_URL": "smtp://mail.example", "SMTP_FROM": "oncall@msp.example"]).smtp)
        #expect(plain == .init(host: "mail.example", port: 587, implicitTLS: false, username: nil, password: nil, from: "oncall@msp.example", caFile: nil))
        let tls = try #require(try OnCallConfiguration(environment: [
            "SMTP_URL": "smtps://oncall%40msp.example:p%3Ass@smtp.example:2465/", "SMTP_FROM": "On-Call <oncall@msp.example>", "SMTP_CA_FILE": "/etc/ca.pem",
        ]).smtp)
        #expect(tls.host == "smtp.example" && tls.port == 2465 && tls.implicitTLS && tls.username == "oncall@msp.example")
        #expect(tls.password?.value == "p:ss" && tls.caFile == "/etc/ca.pem")
        #expect(try OnCallConfiguration(environment: ["SMTP_URL": "smtps://h", "SMTP_FROM": "a@b.example"]).smtp?.port == 465)
    }
}
