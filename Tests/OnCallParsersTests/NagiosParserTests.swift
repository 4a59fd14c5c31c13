import OnCallCore
import OnCallParsers
import Testing

/// What one Nagios or Icinga fixture must parse to.
struct NagiosCase: Sendable, CustomTestStringConvertible {
    static let form = "application/x-www-form-urlencoded"

    var file: String
    /// What the tool really sends: pagerduty_nagios.pl and `curl -d` both say form.
    var contentType: String = form
    var action: NormalizedAlert.Action
    var dedupKey: String
    var title: String
    var severity: Severity
    var device: String
    var description: String?

    var testDescription: String { file }
}

@Suite struct NagiosParserTests {
    let parser = NagiosParser()

    static let httpCritical = "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 452 bytes in 0.012 second response time"
    static let httpOK = "HTTP OK: HTTP/1.1 200 OK - 18342 bytes in 0.041 second response time"
    static let longOutput = "Backend pool www: 0 of 4 members healthy\nLast 200 response: Tue Mar 12 03:12:41 UTC 2024"

    static let cases: [NagiosCase] = [
        NagiosCase(
            file: "service-problem.form", action: .trigger, dedupKey: "web-01/HTTP", title: "web-01/HTTP is CRITICAL: \(httpCritical)",
            severity: .critical, device: "web-01", description: longOutput
        ),
        NagiosCase(
            file: "service-acknowledgement.form", action: .acknowledge, dedupKey: "web-01/HTTP",
            title: "web-01/HTTP is CRITICAL: \(httpCritical)", severity: .critical, device: "web-01",
            description: "Comment by alice: Looking into it - LB pool drained after the 03:00 deploy"
        ),
        NagiosCase(
            file: "service-recovery.form", action: .resolve, dedupKey: "web-01/HTTP", title: "web-01/HTTP is OK: \(httpOK)",
            severity: .info, device: "web-01"
        ),
        NagiosCase(
            file: "host-down.form", action: .trigger, dedupKey: "db-02", title: "db-02 is DOWN: CRITICAL - 10.20.0.32: rta nan, lost 100%",
            severity: .critical, device: "db-02"
        ),
        NagiosCase(
            file: "host-up-recovery.form", action: .resolve, dedupKey: "db-02", title: "db-02 is UP: PING OK - Packet loss = 0%, RTA = 0.41 ms",
            severity: .info, device: "db-02"
        ),
        NagiosCase(
            file: "flapping-start.form", action: .trigger, dedupKey: "app-03/Load",
            title: "app-03/Load is FLAPPING: WARNING - load average: 7.91, 6.12, 4.80", severity: .medium, device: "app-03"
        ),
        NagiosCase(
            file: "flapping-stop.form", action: .resolve, dedupKey: "app-03/Load", title: "app-03/Load is OK: OK - load average: 1.02, 2.47, 3.90",
            severity: .info, device: "app-03"
        ),
        NagiosCase(
            file: "downtime-start.form", action: .resolve, dedupKey: "web-01/HTTP", title: "web-01/HTTP is IN DOWNTIME: \(httpCritical)",
            severity: .critical, device: "web-01", description: "Comment by bob: Planned kernel upgrade, CHG-2291"
        ),
        NagiosCase(
            file: "curl-json-problem.json", contentType: "application/json", action: .trigger, dedupKey: "web-01/HTTP",
            title: "web-01/HTTP is CRITICAL: \(httpCritical)", severity: .critical, device: "web-01"
        ),
        NagiosCase(
            file: "curl-json-labelled-as-form.json", action: .resolve, dedupKey: "web-01/HTTP", title: "web-01/HTTP is OK: \(httpOK)",
            severity: .info, device: "web-01"
        ),
        NagiosCase(
            file: "curl-json-host-macros.json", contentType: "application/json", action: .trigger, dedupKey: "db-02",
            title: "db-02 is DOWN: CRITICAL - 10.20.0.32: rta nan, lost 100%", severity: .critical, device: "db-02"
        ),
    ]

    @Test(arguments: cases)
    func fixtureParses(_ expected: NagiosCase) throws {
        try WebhookFixtures.expectOne(
            "nagios", expected.file, contentType: expected.contentType, parser: parser, action: expected.action, dedupKey: expected.dedupKey,
            title: expected.title, severity: expected.severity, device: expected.device, description: expected.description
        )
    }

    @Test func everyFixtureIsCovered() throws {
        let covered = Set(Self.cases.map(\.file)).union(["downtime-end.form", "malformed.txt"])
        #expect(Set(try WebhookFixtures.files("nagios")) == covered)
    }

    @Test func problemAcknowledgementRecoveryShareOneKey() throws {
        let alerts = try ["service-problem.form", "service-acknowledgement.form", "service-recovery.form", "curl-json-problem.json"].map {
            try #require(try parser.parse(WebhookFixtures.payload("nagios", $0, contentType: NagiosCase.form)).first)
        }
        #expect(alerts.map(\.action) == [.trigger, .acknowledge, .resolve, .trigger])
        #expect(Set(alerts.map(\.dedupKey)) == ["web-01/HTTP"])
    }

    @Test func recoveryProblemIdChangeDoesNotChangeTheKey() throws {
        let problem = try #require(try parser.parse(WebhookFixtures.payload("nagios", "service-problem.form", contentType: NagiosCase.form)).first)
        let recovery = try #require(try parser.parse(WebhookFixtures.payload("nagios", "service-recovery.form", contentType: NagiosCase.form)).first)
        // SERVICEPROBLEMID 48213 becomes 0 on recovery, the id moving to LASTSERVICEPROBLEMID.
        #expect(problem.details["problem_id"] == "48213")
        #expect(recovery.details["problem_id"] == "48213")
        #expect(problem.dedupKey == recovery.dedupKey)
        let hostDown = try #require(try parser.parse(WebhookFixtures.payload("nagios", "host-down.form", contentType: NagiosCase.form)).first)
        let hostUp = try #require(try parser.parse(WebhookFixtures.payload("nagios", "host-up-recovery.form", contentType: NagiosCase.form)).first)
        #expect(hostDown.dedupKey == hostUp.dedupKey)
        #expect(hostDown.details["problem_id"] == "48230" && hostUp.details["problem_id"] == "48230")
    }

    @Test func detailsAndLinks() throws {
        let alert = try #require(try parser.parse(WebhookFixtures.payload("nagios", "service-acknowledgement.form", contentType: NagiosCase.form)).first)
        #expect(alert.details["service"] == "HTTP")
        #expect(alert.details["state"] == "CRITICAL")
        #expect(alert.details["notification_type"] == "ACKNOWLEDGEMENT")
        #expect(alert.details["author"] == "alice")
        #expect(alert.details["comment"] == "Looking into it - LB pool drained after the 03:00 deploy")
        #expect(alert.details["server"] == "nagios-01")
        #expect(alert.links == [NormalizedAlert.Link(url: "https://nagios.acme.example/nagios/cgi-bin/extinfo.cgi?type=2&host=web-01&service=HTTP", text: "Details")])
    }

    @Test func jsonLabelledAsFormIsReadAsJSON() throws {
        let asForm = try parser.parse(WebhookFixtures.payload("nagios", "curl-json-problem.json", contentType: NagiosCase.form))
        let asJSON = try parser.parse(WebhookFixtures.payload("nagios", "curl-json-problem.json", contentType: "application/json"))
        #expect(asForm == asJSON)
        #expect(asForm.first?.dedupKey == "web-01/HTTP")
    }

    @Test func downtimeEndIsIgnored() throws {
        #expect(try parser.parse(WebhookFixtures.payload("nagios", "downtime-end.form", contentType: NagiosCase.form)).isEmpty)
    }

    @Test(arguments: [
        ("PROBLEM", "CRITICAL", [NormalizedAlert.Action.trigger]), ("CUSTOM", "WARNING", [.trigger]), ("RECOVERY", "OK", [.resolve]),
        ("ACKNOWLEDGEMENT", "CRITICAL", [.acknowledge]), ("FLAPPINGSTART", "OK", [.trigger]), ("FLAPPINGSTOP", "OK", [.resolve]),
        ("FLAPPINGSTOP", "CRITICAL", [.trigger]), ("FLAPPINGEND", "OK", [.resolve]), ("FLAPPINGDISABLED", "OK", [.resolve]),
        ("FLAPPINGDISABLED", "UNKNOWN", [.trigger]), ("DOWNTIMESTART", "CRITICAL", [.resolve]), ("DOWNTIMEEND", "CRITICAL", []),
        ("DOWNTIMECANCELLED", "OK", []), ("DOWNTIMEREMOVED", "OK", []), ("", "CRITICAL", [.trigger]), ("", "OK", [.resolve]),
        ("SOMETHINGNEW", "WARNING", [.trigger]),
    ])
    func notificationTypes(_ type: String, _ state: String, _ actions: [NormalizedAlert.Action]) throws {
        let body = "NOTIFICATIONTYPE=\(type)&HOSTNAME=web-01&SERVICEDESC=HTTP&SERVICESTATE=\(state)&SERVICEOUTPUT=x"
        let alerts = try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form))
        #expect(alerts.map(\.action) == actions)
        #expect(alerts.allSatisfy { $0.dedupKey == "web-01/HTTP" })
    }

    @Test func flappingStartWhileOKIsStillAtLeastMedium() throws {
        let body = "NOTIFICATIONTYPE=FLAPPINGSTART&HOSTNAME=web-01&SERVICEDESC=HTTP&SERVICESTATE=OK&SERVICEOUTPUT=HTTP+OK"
        let alert = try #require(try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form)).first)
        #expect(alert.severity == .medium)
    }

    @Test(arguments: [
        ("SERVICESTATE", "CRITICAL", Severity.critical), ("SERVICESTATE", "WARNING", .medium), ("SERVICESTATE", "UNKNOWN", .high),
        ("SERVICESTATE", "OK", .info), ("HOSTSTATE", "DOWN", .critical), ("HOSTSTATE", "UNREACHABLE", .high), ("HOSTSTATE", "UP", .info),
    ])
    func stateSeverities(_ key: String, _ state: String, _ severity: Severity) throws {
        let service = key == "SERVICESTATE" ? "&SERVICEDESC=Disk" : ""
        let body = "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=fs-02\(service)&\(key)=\(state)"
        let alert = try #require(try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form)).first)
        #expect(alert.severity == severity)
        #expect(alert.dedupKey == (service.isEmpty ? "fs-02" : "fs-02/Disk"))
    }

    @Test func stateIdWhenNoStateWord() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"host":"fs-02","service":"Disk","service_state_id":"3"}"#)).first)
        #expect(alert.severity == .high)
        #expect(alert.title == "fs-02/Disk is UNKNOWN")
    }

    @Test func prefixedAndPlainKeysAndQuery() throws {
        let body = "NAGIOS_NOTIFICATIONTYPE=PROBLEM&NAGIOS_HOSTNAME=web-02&HOSTNAME=web-02&NAGIOS_SERVICEDESC=SSH&NAGIOS_SERVICESTATE=CRITICAL"
        let alert = try #require(try parser.parse(InboundPayload(text: body, contentType: NagiosCase.form)).first)
        #expect(alert.dedupKey == "web-02/SSH")
        #expect(alert.severity == .critical)
        let queryOnly = try #require(try parser.parse(InboundPayload(body: [], query: ["HOSTNAME": "web-02", "HOSTSTATE": "DOWN"])).first)
        #expect(queryOnly.dedupKey == "web-02")
        #expect(queryOnly.title == "web-02 is DOWN")
    }

    @Test func longOutputNewlinesAreUnescaped() throws {
        let alert = try #require(try parser.parse(WebhookFixtures.payload("nagios", "service-problem.form", contentType: NagiosCase.form)).first)
        #expect(alert.description?.contains("\\n") == false)
        #expect(alert.description?.split(separator: "\n").count == 2)
    }

    @Test func missingHostIsAnError() {
        let error = #expect(throws: ParseError.self) {
            try parser.parse(InboundPayload(text: "NOTIFICATIONTYPE=PROBLEM&SERVICEDESC=HTTP&SERVICESTATE=CRITICAL", contentType: NagiosCase.form))
        }
        #expect(error?.message.hasPrefix("no host name") == true)
        let macro = #expect(throws: ParseError.self) {
            try parser.parse(InboundPayload(text: "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=%24HOSTNAME%24", contentType: NagiosCase.form))
        }
        #expect(macro?.message.hasPrefix("no host name") == true)
    }

    @Test func malformedSaysWhere() throws {
        let error = #expect(throws: ParseError.self) {
            try parser.parse(WebhookFixtures.payload("nagios", "malformed.txt", contentType: NagiosCase.form))
        }
        #expect(error?.message == "invalid JSON at line 6, column 30: expected ',' or '}' in the object")
    }

    @Test func plainTextAndEmptyBodyAreErrors() {
        #expect(throws: ParseError.self) { try parser.parse(InboundPayload(text: "PROBLEM web-01 HTTP CRITICAL", contentType: "text/plain")) }
        #expect(throws: ParseError.self) { try parser.parse(InboundPayload(body: [], contentType: NagiosCase.form)) }
        let array = #expect(throws: ParseError.self) { try parser.parse(InboundPayload(text: #"[{"host":"web-01"}]"#)) }
        #expect(array?.message.contains("not a JSON array") == true)
    }
}
