import OnCallCore
import OnCallParsers
import Testing

@Suite struct IcingaParserTests {
    let parser = IcingaParser()

    static let httpCritical = "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 452 bytes in 0.012 second response time"

    static let cases: [NagiosCase] = [
        // icinga-notifications event forwarding: Icinga's Json.encode sent by `curl -d`, so labelled as a form.
        NagiosCase(
            file: "forwarded-service-problem.json", action: .trigger, dedupKey: "web-01/http", title: "web-01/http is CRITICAL: \(httpCritical)",
            severity: .critical, device: "web-01"
        ),
        NagiosCase(
            file: "forwarded-service-acknowledgement.json", action: .acknowledge, dedupKey: "web-01/http",
            title: "web-01/http acknowledged by alice", severity: .medium, device: "web-01",
            description: "Comment by alice: Looking into it - LB pool drained after the 03:00 deploy"
        ),
        NagiosCase(
            file: "forwarded-service-recovery.json", action: .resolve, dedupKey: "web-01/http",
            title: "web-01/http is OK: HTTP OK: HTTP/1.1 200 OK - 18342 bytes in 0.041 second response time", severity: .info, device: "web-01"
        ),
        NagiosCase(
            file: "forwarded-host-down.json", action: .trigger, dedupKey: "db-02", title: "db-02 is DOWN: PING CRITICAL - Packet loss = 100%",
            severity: .critical, device: "db-02",
            description: "PING CRITICAL - Packet loss = 100%\nrta=0.000000ms;3000.000000;5000.000000;0.000000 pl=100%;80;100;0"
        ),
        NagiosCase(
            file: "icinga2-env-style.form", action: .trigger, dedupKey: "mail-01/smtp", title: "mail-01/smtp is WARNING: SMTP WARNING - 2.412 sec. response time",
            severity: .medium, device: "mail-01"
        ),
        NagiosCase(
            file: "icinga2-nested-acknowledgement.json", contentType: "application/json", action: .acknowledge, dedupKey: "mail-01/smtp",
            title: "mail-01/smtp is WARNING: SMTP WARNING - 2.412 sec. response time", severity: .medium, device: "mail-01",
            description: "Comment by carol: Mail queue backed up, flushing"
        ),
        NagiosCase(
            file: "icinga2-runtime-macros-recovery.form", action: .resolve, dedupKey: "mail-01/smtp",
            title: "mail-01/smtp is OK: SMTP OK - 0.112 sec. response time", severity: .info, device: "mail-01"
        ),
    ]

    @Test(arguments: cases)
    func fixtureParses(_ expected: NagiosCase) throws {
        try WebhookFixtures.expectOne(
            "icinga", expected.file, contentType: expected.contentType, parser: parser, action: expected.action, dedupKey: expected.dedupKey,
            title: expected.title, severity: expected.severity, device: expected.device, description: expected.description
        )
    }

    @Test func everyFixtureIsCovered() throws {
        let covered = Set(Self.cases.map(\.file)).union(["malformed.json", "missing-host.form"])
        #expect(Set(try WebhookFixtures.files("icinga")) == covered)
    }

    @Test func forwardedLifecycleSharesOneKey() throws {
        let files = ["forwarded-service-problem.json", "forwarded-service-acknowledgement.json", "forwarded-service-recovery.json"]
        let alerts = try files.map { try #require(try parser.parse(WebhookFixtures.payload("icinga", $0, contentType: NagiosCase.form)).first) }
        #expect(alerts.map(\.action) == [.trigger, .acknowledge, .resolve])
        #expect(Set(alerts.map(\.dedupKey)) == ["web-01/http"])
    }

    @Test func envStyleLifecycleSharesOneKey() throws {
        let files = ["icinga2-env-style.form", "icinga2-nested-acknowledgement.json", "icinga2-runtime-macros-recovery.form"]
        let alerts = try files.map { try #require(try parser.parse(WebhookFixtures.payload("icinga", $0, contentType: NagiosCase.form)).first) }
        #expect(alerts.map(\.action) == [.trigger, .acknowledge, .resolve])
        #expect(Set(alerts.map(\.dedupKey)) == ["mail-01/smtp"])
    }

    @Test func forwardedDetailsAndLink() throws {
        let alert = try #require(try parser.parse(WebhookFixtures.payload("icinga", "forwarded-service-acknowledgement.json")).first)
        #expect(alert.details["author"] == "alice")
        #expect(alert.details["notification_type"] == "acknowledgement")
        #expect(alert.details["display_name"] == "web-01.acme.example: HTTP")
        #expect(alert.links == [NormalizedAlert.Link(url: "http://icinga.acme.example/icingaweb2/icingadb/service?name=http&host.name=web-01", text: "Icinga Web")])
    }

    @Test(arguments: [("ok", Severity.info), ("warning", .medium), ("crit", .critical), ("err", .high)])
    func forwardedSeverities(_ word: String, _ severity: Severity) throws {
        let body = #"{"message":"m","severity":"\#(word)","tags":{"host":"web-01","service":"http"}}"#
        let alert = try #require(try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form)).first)
        #expect(alert.severity == severity)
        #expect(alert.action == (word == "ok" ? .resolve : .trigger))
    }

    @Test func lowerCaseRuntimeMacrosCountAsAbsent() throws {
        let error = #expect(throws: ParseError.self) { try parser.parse(WebhookFixtures.payload("icinga", "missing-host.form", contentType: NagiosCase.form)) }
        #expect(error?.message.hasPrefix("no host name") == true)
        let body = "notification.type=PROBLEM&host.name=web-01&service.name=%24service.name%24&host.state=DOWN&host.output=%24host.output%24"
        let alert = try #require(try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form)).first)
        #expect(alert.dedupKey == "web-01")
        #expect(alert.title == "web-01 is DOWN")
    }

    @Test func flappingEndIsIcingasFlappingStop() throws {
        let body = "ICINGA_NOTIFICATIONTYPE=FLAPPINGEND&ICINGA_HOSTNAME=mail-01&ICINGA_SERVICEDESC=smtp&ICINGA_SERVICESTATE=OK"
        #expect(try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form)).map(\.action) == [.resolve])
    }

    @Test func malformedSaysWhere() throws {
        let error = #expect(throws: ParseError.self) { try parser.parse(WebhookFixtures.payload("icinga", "malformed.json", contentType: NagiosCase.form)) }
        #expect(error?.message == "invalid JSON at line 1, column 177: the JSON ends inside a string")
    }
}
