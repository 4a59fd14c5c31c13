import OnCallCore
import OnCallParsers
import Testing

@Suite struct PagerDutyParserTests {
    let parser = PagerDutyParser()

    func alerts(_ file: String) throws -> [NormalizedAlert] {
        try parser.parse(try WebhookFixtures.payload("pagerduty", file))
    }

    func alert(_ file: String) throws -> NormalizedAlert {
        let alerts = try alerts(file)
        try #require(alerts.count == 1)
        return alerts[0]
    }

    func alerts(json: String) throws -> [NormalizedAlert] {
        try parser.parse(InboundPayload(text: json, contentType: "application/json"))
    }

    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var action: NormalizedAlert.Action
        var dedupKey: String?
        var title: String
        var severity: Severity
        var device: String?
        var testDescription: String { file }
    }

    static let key = "acme/sql-replica-02/replication"
    static let summary = "Replication stopped on sql-replica-02.acme.example: last IO error 1236"
    static let fixtures: [Expected] = [
        .init(file: "v2-trigger.json", action: .trigger, dedupKey: key, title: summary, severity: .high, device: "sql-replica-02.acme.example"),
        .init(file: "v2-acknowledge.json", action: .acknowledge, dedupKey: key, title: "acknowledge", severity: SeverityText.fallback),
        .init(file: "v2-resolve.json", action: .resolve, dedupKey: key, title: "resolve", severity: SeverityText.fallback),
        .init(file: "v2-trigger-no-key.json", action: .trigger, dedupKey: nil,
              title: "Backup job 'nightly-fileserver' finished with warnings (3 files skipped)", severity: .medium,
              device: "backup01.acme.example"),
        .init(file: "v1-trigger.json", action: .trigger, dedupKey: "srv-web-04/HTTP",
              title: "CRITICAL: HTTP on srv-web-04 - connection refused on port 443", severity: SeverityText.fallback),
        .init(file: "v3-triggered.json", action: .trigger, dedupKey: key, title: summary, severity: .high),
        .init(file: "v3-acknowledged.json", action: .acknowledge, dedupKey: key, title: summary, severity: .critical),
        .init(file: "v3-resolved.json", action: .resolve, dedupKey: key, title: summary, severity: .critical),
    ]

    @Test(arguments: fixtures)
    func fixture(_ expected: Expected) throws {
        let alert = try alert(expected.file)
        #expect(alert.action == expected.action)
        #expect(alert.dedupKey == expected.dedupKey)
        #expect(alert.title == expected.title)
        #expect(alert.severity == expected.severity)
        #expect(alert.device == expected.device)
        #expect(alert.source == "pagerduty")
    }

    @Test func everyFixtureIsCovered() throws {
        let covered = Set(Self.fixtures.map(\.file) + ["v3-annotated.json", "malformed.json"])
        #expect(Set(try WebhookFixtures.files("pagerduty")) == covered)
    }

    @Test func eventsV2TriggerCarriesDetailsLinksAndImages() throws {
        let alert = try alert("v2-trigger.json")
        #expect(alert.description == """
            checks: ["io_thread","sql_thread"]
            last io error: Got fatal error 1236 from master when reading data from binary log
            replica io running: No
            retries: 3
            seconds behind master: null
            """)
        #expect(alert.links == [
            .init(url: "https://wiki.acme.example/runbooks/mysql-replication", text: "Runbook: MySQL replication"),
            .init(url: "https://grafana.acme.example/d/mysql/replication?var-host=sql-replica-02", text: "Replication lag, last 6 hours"),
            .init(url: "https://monitoring.acme.example/checks/mysql-replication", text: "Acme Monitoring"),
        ])
        #expect(alert.details == [
            "component": "mysql", "group": "prod-reporting", "class": "replication", "timestamp": "2026-03-14T02:17:43.315+0000",
            "client": "Acme Monitoring",
        ])
    }

    @Test func oneIncidentSharesItsKeyInEveryFormat() throws {
        let v2 = try ["v2-trigger.json", "v2-acknowledge.json", "v2-resolve.json"].map { try alert($0) }
        #expect(v2.map(\.action) == [.trigger, .acknowledge, .resolve])
        let v3 = try ["v3-triggered.json", "v3-acknowledged.json", "v3-resolved.json"].map { try alert($0) }
        #expect(v3.map(\.action) == [.trigger, .acknowledge, .resolve])
        #expect(Set((v2 + v3).map(\.dedupKey)) == [Self.key])
    }

    @Test func acknowledgeWithOnlyThreeFieldsIsEnough() throws {
        let alert = try alert("v2-acknowledge.json")
        #expect(alert.description == nil)
        #expect(alert.device == nil)
        #expect(alert.links.isEmpty)
        #expect(alert.details.isEmpty)
    }

    @Test(arguments: [("critical", Severity.critical), ("error", .high), ("warning", .medium), ("info", .info), ("bogus", .medium)])
    func eventsV2Severity(word: String, severity: Severity) throws {
        let json = #"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"\#(word)"}}"#
        #expect(try alerts(json: json).first?.severity == severity)
    }

    @Test func legacyV1() throws {
        let trigger = try alert("v1-trigger.json")
        #expect(trigger.description == """
            attempt: 3/3
            host: srv-web-04
            output: connect to address 10.20.0.44 and port 443: Connection refused
            service: HTTP
            """)
        #expect(trigger.links == [
            .init(url: "https://wiki.acme.example/runbooks/web-tier", text: "Web tier runbook"),
            .init(url: "https://nagios.acme.example/pnp4nagios/image?host=srv-web-04&srv=HTTP"),
            .init(url: "https://nagios.acme.example/cgi-bin/extinfo.cgi?type=2&host=srv-web-04&service=HTTP", text: "Nagios @ acme-msp"),
        ])
        let resolve = try alerts(json: #"{"service_key":"d4c1f0a7e3b24e8f9a6b5c0d1e2f3a4b","event_type":"resolve","incident_key":"srv-web-04/HTTP"}"#)
        #expect(resolve == [NormalizedAlert(action: .resolve, dedupKey: "srv-web-04/HTTP", title: "resolve", severity: SeverityText.fallback, source: "pagerduty")])
    }

    @Test func v3WebhookFacts() throws {
        let alert = try alert("v3-triggered.json")
        #expect(alert.links == [.init(url: "https://acme-msp.pagerduty.com/incidents/Q2K7Z9XJ4L1MNB", text: "PagerDuty incident")])
        #expect(alert.details["incident_number"] == "4821")
        #expect(alert.details["service"] == "SQL Reporting")
        #expect(alert.details["urgency"] == "high")
        #expect(alert.details["priority"] == nil)
    }

    static func v3(_ eventType: String, incidentKey: String = #""k-1""#, priority: String = "null", urgency: String = "high") -> String {
        #"{"event":{"id":"01EVENTID","event_type":"\#(eventType)","resource_type":"incident","occurred_at":"2026-03-14T02:17:45Z","agent":null,"client":null,"data":{"id":"Q1","type":"incident","number":7,"status":"triggered","incident_key":\#(incidentKey),"title":"Disk full","priority":\#(priority),"urgency":"\#(urgency)"}}}"#
    }

    @Test(arguments: [
        ("incident.triggered", NormalizedAlert.Action.trigger), ("incident.reopened", .trigger), ("incident.unacknowledged", .trigger),
        ("incident.acknowledged", .acknowledge), ("incident.resolved", .resolve),
    ])
    func v3IncidentEvents(eventType: String, action: NormalizedAlert.Action) throws {
        let alerts = try alerts(json: Self.v3(eventType))
        #expect(alerts.map(\.action) == [action])
        #expect(alerts.first?.dedupKey == "k-1")
    }

    @Test(arguments: ["incident.escalated", "incident.priority_updated", "incident.reassigned", "incident.delegated",
                      "incident.responder.added", "incident.status_update_published", "incident.annotated"])
    func v3OtherEventsAreNoAlert(eventType: String) throws {
        #expect(try alerts(json: Self.v3(eventType)).isEmpty)
    }

    @Test func v3AnnotatedFixtureAndServiceEventsAreNoAlert() throws {
        #expect(try alerts("v3-annotated.json").isEmpty)
        let service = #"{"event":{"id":"01B","event_type":"service.updated","resource_type":"service","occurred_at":"2026-03-14T02:17:45Z","agent":null,"client":null,"data":{"id":"PF9KMXH","type":"service","summary":"API"}}}"#
        #expect(try alerts(json: service).isEmpty)
    }

    @Test func v3KeyFallsBackToTheIncidentNeverTheEvent() throws {
        let alert = try #require(try alerts(json: Self.v3("incident.triggered", incidentKey: "null")).first)
        #expect(alert.dedupKey == "pagerduty-Q1")
        #expect(alert.dedupKey?.contains("01EVENTID") == false)
    }

    @Test(arguments: [
        (#"{"summary":"P1"}"#, "high", Severity.critical), (#"{"summary":"P3"}"#, "high", .medium), (#"{"summary":"SEV-2"}"#, "low", .high),
        ("null", "high", .high), ("null", "low", .low),
    ])
    func v3SeverityFromPriorityThenUrgency(priority: String, urgency: String, severity: Severity) throws {
        #expect(try alerts(json: Self.v3("incident.triggered", priority: priority, urgency: urgency)).first?.severity == severity)
    }

    @Test func malformedBodySaysWhere() throws {
        let error = #expect(throws: ParseError.self) { try alerts("malformed.json") }
        #expect(error?.message.contains("line 9, column") == true)
    }

    @Test(arguments: [
        #"{"routing_key":"k","event_action":"acknowledge"}"#,
        #"{"routing_key":"k","event_action":"resolve","dedup_key":""}"#,
        #"{"routing_key":"k","event_action":"snooze","dedup_key":"d"}"#,
        #"{"routing_key":"k","payload":{"summary":"s"}}"#,
        #"{"service_key":"k","event_type":"acknowledge"}"#,
        #"{"summary":"nothing PagerDuty-shaped"}"#,
        #"{"event":{"id":"01B","resource_type":"incident"}}"#,
        #"{"event":{"event_type":"incident.triggered","resource_type":"incident"}}"#,
        "[]",
    ])
    func invalidEventsAreErrors(json: String) {
        #expect(throws: ParseError.self) { try alerts(json: json) }
    }
}
