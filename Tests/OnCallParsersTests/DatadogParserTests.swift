import OnCallCore
import OnCallParsers
import Testing

@Suite struct DatadogParserTests {
    let parser = DatadogParser()

    func alert(_ file: String, contentType: String = "application/json") throws -> NormalizedAlert {
        let alerts = try parser.parse(try WebhookFixtures.payload("datadog", file, contentType: contentType))
        try #require(alerts.count == 1)
        return alerts[0]
    }

    func alert(json: String) throws -> NormalizedAlert {
        let alerts = try parser.parse(InboundPayload(text: json, contentType: "application/json"))
        try #require(alerts.count == 1)
        return alerts[0]
    }

    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var action: NormalizedAlert.Action
        var dedupKey: String
        var title: String
        var severity: Severity
        var device: String?
        var testDescription: String { file }
    }

    static let defaultKey = "datadog-title-CPU usage above 90% on web-01 {host:web-01}"
    static let cycleKey = "datadog-cycle-c-91736452-1773457201"
    static let fixtures: [Expected] = [
        .init(file: "default-triggered.json", action: .trigger, dedupKey: defaultKey, title: "CPU usage above 90% on web-01",
              severity: .critical, device: "web-01"),
        .init(file: "default-warn.json", action: .trigger, dedupKey: defaultKey, title: "CPU usage above 90% on web-01",
              severity: .medium, device: "web-01"),
        .init(file: "default-recovered.json", action: .resolve, dedupKey: defaultKey, title: "CPU usage above 90% on web-01",
              severity: .critical, device: "web-01"),
        .init(file: "custom-triggered.json", action: .trigger, dedupKey: cycleKey, title: "Postgres replication lag above 30s",
              severity: .high, device: "db-02"),
        .init(file: "custom-renotify.json", action: .trigger, dedupKey: cycleKey, title: "Postgres replication lag above 30s",
              severity: .high, device: "db-02"),
        .init(file: "custom-recovered.json", action: .resolve, dedupKey: cycleKey, title: "Postgres replication lag above 30s",
              severity: .high, device: "db-02"),
    ]

    @Test(arguments: fixtures)
    func fixture(_ expected: Expected) throws {
        let alert = try alert(expected.file)
        #expect(alert.action == expected.action)
        #expect(alert.dedupKey == expected.dedupKey)
        #expect(alert.title == expected.title)
        #expect(alert.severity == expected.severity)
        #expect(alert.device == expected.device)
        #expect(alert.source == "datadog")
    }

    @Test func everyFixtureIsCovered() throws {
        let covered = Set(Self.fixtures.map(\.file) + ["form-encoded.txt", "malformed.json"])
        #expect(Set(try WebhookFixtures.files("datadog")) == covered)
    }

    @Test(arguments: ["default-triggered.json", "default-warn.json", "default-recovered.json", "custom-triggered.json",
                      "custom-renotify.json", "custom-recovered.json", "form-encoded.txt"])
    func eventIDIsNeverTheKey(file: String) throws {
        let body = try PayloadValue.decode(body: try WebhookFixtures.bytes("datadog", file), contentType: nil)
        let eventID = try #require(body["id"]?.text)
        let alert = try alert(file, contentType: file.hasSuffix(".txt") ? "application/x-www-form-urlencoded" : "application/json")
        #expect(alert.dedupKey?.contains(eventID) == false)
        #expect(alert.details["event_id"] == eventID)
    }

    @Test func defaultBodyMessageIsUnwrapped() throws {
        let alert = try alert("default-triggered.json")
        let description = try #require(alert.description)
        #expect(description.hasPrefix("CPU usage on **web-01** has been above 90% for the last 10 minutes.\n\nRunbook:"))
        #expect(!description.contains("%%%"))
        #expect(!description.contains("@webhook-"))
        #expect(alert.links == [.init(
            url: "https://app.datadoghq.com/monitors/48213345?group=host%3Aweb-01&from_ts=1773453763000&to_ts=1773454963000&event_id=7446523617823581234&link_source=monitor_notif",
            text: "Datadog monitor status"
        )])
        #expect(alert.details["transition"] == "Triggered")
        #expect(alert.details["scope"] == "host:web-01")
        #expect(alert.details["org"] == "Acme MSP")
    }

    @Test func customPayloadCarriesMessageLinkAndMonitor() throws {
        let alert = try alert("custom-triggered.json")
        #expect(alert.description == "Replication lag on db-02 is 47s (threshold 30s).\nCheck the WAL sender on db-01 and the network between the two.")
        #expect(alert.links == [.init(url: "https://app.datadoghq.com/event/event?id=7446540021837451904", text: "Datadog event")])
        #expect(alert.details["monitor_id"] == "91736452")
        #expect(alert.details["scope"] == "env:prod,host:db-02")
        #expect(alert.details["priority"] == "P2")
    }

    @Test func formEncodedBody() throws {
        let alert = try alert("form-encoded.txt", contentType: "application/x-www-form-urlencoded")
        #expect(alert.action == .trigger)
        #expect(alert.dedupKey == "datadog-monitor-55120987 {env:staging,host:web-03}")
        #expect(alert.title == "Disk usage above 85% on /var")
        #expect(alert.severity == .medium)
        #expect(alert.device == "web-03")
        #expect(alert.description == "Disk usage on /var is 88%.\n\nThe monitor was last triggered at Sat Mar 14 2026 06:30:00 UTC.")
    }

    @Test(arguments: [
        (#"{"alert_cycle_key":"c1","aggreg_key":"a1","alert_id":"9","scope":"host:x","title":"[Triggered] M"}"#, "datadog-cycle-c1"),
        (#"{"alert_cycle_key":"$ALERT_CYCLE_KEY","aggreg_key":"a1","alert_id":"9","title":"[Triggered] M"}"#, "datadog-aggreg-a1"),
        (#"{"aggreg_key":"","alert_id":"9","scope":"host:x","title":"[Triggered] M"}"#, "datadog-monitor-9 {host:x}"),
        (#"{"alert_id":"9","title":"[Triggered on {host:x}] M"}"#, "datadog-monitor-9 {host:x}"),
        (#"{"alert_id":"9","title":"[Triggered] M"}"#, "datadog-monitor-9"),
        (#"{"title":"[Triggered] M","id":"123"}"#, "datadog-title-M"),
    ])
    func keyFallsBackInOrder(json: String, key: String) throws {
        #expect(try alert(json: json).dedupKey == key)
    }

    @Test func titleKeyIgnoresStatePriorityAndScopeOrder() throws {
        let keys = try [
            #"{"title":"[P1] [Triggered on {host:web-01,env:prod}] CPU high","id":"1"}"#,
            #"{"title":"[Re-Triggered on {host:web-01,env:prod}] CPU high","id":"2"}"#,
            #"{"title":"[P3] [Warn on {env:prod, host:web-01}] CPU high","id":"3"}"#,
            #"{"title":"[No Data on {env:prod,host:web-01}] CPU high","id":"4"}"#,
            #"{"title":"[Recovered on {env:prod,host:web-01}] CPU high","id":"5"}"#,
        ].map { try alert(json: $0).dedupKey }
        #expect(Set(keys) == ["datadog-title-CPU high {env:prod,host:web-01}"])
        #expect(try alert(json: #"{"title":"[Triggered on {host:web-02,env:prod}] CPU high"}"#).dedupKey != keys[0])
    }

    @Test(arguments: [
        ("[Triggered] [TEST] Host Cluster Alert", "[TEST] Host Cluster Alert", NormalizedAlert.Action.trigger),
        ("[P2] [Recovered] Disk full", "Disk full", .resolve),
        ("[Re-Triggered on {host:a}] Disk full", "Disk full", .trigger),
        ("[No Data on {host:a}] Heartbeat", "Heartbeat", .trigger),
        ("[Re-Warn] Disk full", "Disk full", .trigger),
        ("Disk full", "Disk full", .trigger),
    ])
    func titleIsReadApart(title: String, name: String, action: NormalizedAlert.Action) throws {
        let alert = try alert(json: #"{"title":"\#(title)"}"#)
        #expect(alert.title == name)
        #expect(alert.action == action)
    }

    @Test(arguments: [
        ("Recovered", NormalizedAlert.Action.resolve), ("Triggered", .trigger), ("Re-Triggered", .trigger), ("Warn", .trigger),
        ("Re-Warn", .trigger), ("No Data", .trigger), ("Re-No Data", .trigger), ("Renotify", .trigger),
    ])
    func transitionBeatsTheTitle(transition: String, action: NormalizedAlert.Action) throws {
        #expect(try alert(json: #"{"alert_transition":"\#(transition)","title":"[Triggered] M","alert_id":"9"}"#).action == action)
    }

    @Test(arguments: [
        (#""priority":"P1""#, Severity.critical), (#""priority":"P2""#, .high), (#""priority":"P3""#, .medium),
        (#""priority":"P4""#, .low), (#""priority":"P5""#, .info), (#""alert_priority":"p2""#, .high),
        (#""alert_type":"error""#, .high), (#""alert_type":"warning""#, .medium), (#""alert_type":"info""#, .info),
        (#""priority":"P4","alert_type":"error""#, .low), (#""priority":"$ALERT_PRIORITY","alert_type":"error""#, .high),
        (#""priority":"","alert_type":"warning""#, .medium), (#""priority":"normal""#, .critical), (#""alert_type":"$ALERT_TYPE""#, .critical),
    ])
    func severityFromPriorityThenTypeThenTitle(fields: String, severity: Severity) throws {
        #expect(try alert(json: #"{"title":"[P1] [Triggered] M",\#(fields)}"#).severity == severity)
    }

    @Test func severityDefaultsAndWarnIsAtMostMedium() throws {
        #expect(try alert(json: #"{"title":"[Triggered] M"}"#).severity == .medium)
        #expect(try alert(json: #"{"title":"[Warn] M","priority":"P1"}"#).severity == .medium)
        #expect(try alert(json: #"{"title":"[Warn] M","priority":"P4"}"#).severity == .low)
        #expect(try alert(json: #"{"transition":"Re-Warn","title":"M","alert_type":"error"}"#).severity == .medium)
    }

    @Test func successWithoutTransitionResolves() throws {
        #expect(try alert(json: #"{"title":"M","alert_type":"success","alert_id":"9"}"#).action == .resolve)
    }

    @Test func malformedBodySaysWhere() throws {
        let error = #expect(throws: ParseError.self) { try parser.parse(try WebhookFixtures.payload("datadog", "malformed.json")) }
        #expect(error?.message.contains("line 4, column") == true)
    }

    @Test(arguments: [#"[]"#, "{}", #"{"id":"7446523617823581234","date":"1773454663000"}"#])
    func unreadableBodiesAreErrors(json: String) {
        #expect(throws: ParseError.self) { try parser.parse(InboundPayload(text: json, contentType: "application/json")) }
    }
}
