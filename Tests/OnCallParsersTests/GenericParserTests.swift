import OnCallCore
import OnCallParsers
import Testing

/// What one generic fixture must parse to.
struct GenericCase: Sendable, CustomTestStringConvertible {
    var file: String
    var contentType: String = "application/json"
    var action: NormalizedAlert.Action
    var dedupKey: String?
    var title: String
    var severity: Severity
    var device: String?
    var description: String?

    var testDescription: String { file }
}

@Suite struct GenericParserTests {
    let parser = GenericParser()

    static let cases: [GenericCase] = [
        GenericCase(
            file: "custom-script.json", action: .trigger, dedupKey: "backup-nightly-fs-02", title: "Nightly backup failed on fs-02",
            severity: .high
        ),
        GenericCase(
            file: "full.json", action: .trigger, dedupKey: "db-01-disk-var", title: "Disk /var 95% full on db-01", severity: .critical,
            device: "db-01.acme.example",
            description: "Filesystem /var on db-01 is 95% full (47.5 of 50 GiB).\nGrowth 2.1 GiB/h: full in about an hour."
        ),
        GenericCase(
            file: "acknowledge.json", action: .acknowledge, dedupKey: "db-01-disk-var", title: "Alert db-01-disk-var", severity: .medium
        ),
        GenericCase(
            file: "resolve.json", action: .resolve, dedupKey: "db-01-disk-var", title: "Old WAL segments removed; /var at 61%.",
            severity: .medium
        ),
        GenericCase(
            file: "grafana-oncall-formatted.json", action: .trigger, dedupKey: "08d6891a-835c-e661-39fa-96b6a9e26552",
            title: "Checkout latency above 2 s", severity: .medium, description: "p95 latency 2.7 s for 10 min on checkout-api"
        ),
        GenericCase(
            file: "grafana-oncall-formatted-ok.json", action: .resolve, dedupKey: "08d6891a-835c-e661-39fa-96b6a9e26552",
            title: "Checkout latency above 2 s", severity: .info, description: "p95 latency back to 0.4 s"
        ),
        GenericCase(
            file: "unicode.json", action: .trigger, dedupKey: "東京-db-01/disk", title: "🚨 Disk full on 東京-db-01 🚨", severity: .medium,
            device: "東京-db-01", description: "Cafe\u{301} and café (NFD, NFC) — 数据库磁盘已满\nΔ 95 %"
        ),
        GenericCase(
            file: "script-form.form", contentType: "application/x-www-form-urlencoded", action: .trigger, dedupKey: "app-03-cpu",
            title: "CPU high on app-03", severity: .medium, device: "app-03", description: "Load 15.2 (threshold 8) for 10 min"
        ),
    ]

    @Test(arguments: cases)
    func fixtureParses(_ expected: GenericCase) throws {
        try WebhookFixtures.expectOne(
            "generic", expected.file, contentType: expected.contentType, parser: parser, action: expected.action, dedupKey: expected.dedupKey,
            title: expected.title, severity: expected.severity, device: expected.device, description: expected.description
        )
    }

    @Test func fullFormatKeepsLinksAndDetails() throws {
        let alert = try #require(try parser.parse(WebhookFixtures.payload("generic", "full.json")).first)
        #expect(
            alert.links == [
                NormalizedAlert.Link(url: "https://grafana.acme.example/d/disk?var-host=db-01", text: "Disk dashboard"),
                NormalizedAlert.Link(url: "https://wiki.acme.example/runbooks/disk-full", text: "Runbook"),
            ]
        )
        #expect(alert.details == ["service": "databases", "mount": "/var", "used_percent": "95.2"])
    }

    @Test func grafanaOnCallLinkToUpstream() throws {
        let alert = try #require(try parser.parse(WebhookFixtures.payload("generic", "grafana-oncall-formatted.json")).first)
        #expect(alert.links == [NormalizedAlert.Link(url: "https://grafana.acme.example/d/checkout", text: "Source")])
    }

    @Test func triggerAcknowledgeResolveShareOneKey() throws {
        let keys = try ["full.json", "acknowledge.json", "resolve.json"].map { file in
            try parser.parse(WebhookFixtures.payload("generic", file)).first?.dedupKey
        }
        #expect(keys == ["db-01-disk-var", "db-01-disk-var", "db-01-disk-var"])
    }

    @Test func unicodeIsPreservedScalarForScalar() throws {
        let alert = try #require(try parser.parse(WebhookFixtures.payload("generic", "unicode.json")).first)
        // Swift's == is canonical equivalence; compare the scalars so NFD stays NFD.
        #expect(Array(alert.title.unicodeScalars) == Array("\u{1F6A8} Disk full on 東京-db-01 \u{1F6A8}".unicodeScalars))
        let description = try #require(alert.description)
        #expect(description.unicodeScalars.contains("\u{301}"))
        #expect(Array(description.unicodeScalars.prefix(6)) == ["C", "a", "f", "e", "\u{301}", " "])
        #expect(description.contains("caf\u{E9}"))
    }

    @Test func queryOnlyAlert() throws {
        let payload = InboundPayload(
            body: [], contentType: nil, query: ["title": "Backup failed on fs-02", "severity": "high", "dedup_key": "backup-fs-02", "host": "fs-02"]
        )
        let alert = try #require(try parser.parse(payload).first)
        #expect(alert.title == "Backup failed on fs-02")
        #expect(alert.severity == .high)
        #expect(alert.dedupKey == "backup-fs-02")
        #expect(alert.device == "fs-02")
        #expect(alert.action == .trigger)
    }

    @Test func queryOnlyResolve() throws {
        let payload = InboundPayload(text: "  \n", query: ["dedup_key": "backup-fs-02", "status": "resolved"])
        let alert = try #require(try parser.parse(payload).first)
        #expect(alert.action == .resolve)
        #expect(alert.dedupKey == "backup-fs-02")
    }

    @Test func bodyWinsOverQuery() throws {
        let payload = InboundPayload(
            text: #"{"title":"From the body","dedup_key":"body-key"}"#,
            query: ["title": "From the query", "dedup_key": "query-key", "severity": "critical"]
        )
        let alert = try #require(try parser.parse(payload).first)
        #expect(alert.title == "From the body")
        #expect(alert.dedupKey == "body-key")
        #expect(alert.severity == .critical, "a field the body lacks comes from the query")
    }

    @Test func emptyBodyAndNoQueryIsAnError() {
        #expect(throws: ParseError.self) { try parser.parse(InboundPayload(body: [])) }
    }

    @Test func arrayIsAClearError() throws {
        let error = #expect(throws: ParseError.self) { try parser.parse(WebhookFixtures.payload("generic", "array.json")) }
        #expect(error?.message.contains("not a JSON array") == true)
        #expect(error?.message.contains("JSON object") == true)
    }

    @Test(arguments: [#""just a string""#, "42", "null", "true"])
    func nonObjectIsAnError(_ body: String) {
        #expect(throws: ParseError.self) { try parser.parse(InboundPayload(text: body, contentType: "application/json")) }
    }

    @Test func malformedSaysWhere() throws {
        let error = #expect(throws: ParseError.self) { try parser.parse(WebhookFixtures.payload("generic", "malformed.json")) }
        #expect(error?.message == "invalid JSON at line 4, column 1: expected a member name in quotes")
    }

    @Test func noTitleAndNoKeyIsStillAnAlert() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"host":"web-01"}"#)).first)
        #expect(alert.title == "Alert")
        #expect(alert.dedupKey == nil)
        #expect(alert.severity == SeverityText.fallback)
        #expect(alert.action == .trigger)
        #expect(try parser.parse(InboundPayload(text: "{}")).first?.title == "Alert")
    }

    @Test func fieldNamesAreCaseInsensitive() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"Title":"Pump 3 pressure low","SEVERITY":"Crit","Alias":"pump-3"}"#)).first)
        #expect(alert.title == "Pump 3 pressure low")
        #expect(alert.severity == .critical)
        #expect(alert.dedupKey == "pump-3")
    }

    @Test func descriptionOnlyGivesItsFirstLineAsTitle() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"description":"UPS on battery\nRuntime left: 14 min"}"#)).first)
        #expect(alert.title == "UPS on battery")
        #expect(alert.description == "UPS on battery\nRuntime left: 14 min")
    }

    @Test func messageUsedAsTitleIsNotRepeatedAsDescription() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"message":"UPS on battery","text":"Runtime left: 14 min"}"#)).first)
        #expect(alert.title == "UPS on battery")
        #expect(alert.description == "Runtime left: 14 min")
    }

    @Test func numericIdIsAKeyButTitleNeverIs() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"alert_id":12345678901234567890,"id":"delivery-1","summary":"Job 7 failed"}"#)).first)
        #expect(alert.dedupKey == "12345678901234567890")
        #expect(alert.title == "Job 7 failed")
        let untitled = try #require(try parser.parse(InboundPayload(text: #"{"summary":"Job 7 failed"}"#)).first)
        #expect(untitled.dedupKey == nil)
    }

    @Test func stateCarryingASeverityWordIsATriggerAndASeverity() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"title":"Link down","state":"critical"}"#)).first)
        #expect(alert.action == .trigger)
        #expect(alert.severity == .critical)
    }

    @Test func unknownSeverityWordFallsThroughToTheNextField() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"title":"x","severity":"spicy","priority":"P2"}"#)).first)
        #expect(alert.severity == .high)
        let none = try #require(try parser.parse(InboundPayload(text: #"{"title":"x","severity":"spicy"}"#)).first)
        #expect(none.severity == SeverityText.fallback)
    }

    @Test func unexpandedMacrosAndEmptyValuesCountAsAbsent() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"title":"{ALERT.SUBJECT}","summary":"  ","message":"Real text","dedup_key":"$ALERT_ID"}"#)).first)
        #expect(alert.title == "Real text")
        #expect(alert.dedupKey == nil)
    }

    @Test func onlyWebLinksAreKept() throws {
        let body = #"{"title":"x","links":["javascript:alert(1)","https://a.example/1",{"href":"ftp://b.example"},{"url":"http://c.example/2","text":"C"}],"url":"https://a.example/1"}"#
        let alert = try #require(try parser.parse(InboundPayload(text: body)).first)
        #expect(alert.links == [NormalizedAlert.Link(url: "https://a.example/1"), NormalizedAlert.Link(url: "http://c.example/2", text: "C")])
    }

    @Test(arguments: [
        ("triggered", NormalizedAlert.Action.trigger), ("FIRING", .trigger), ("alerting", .trigger), ("problem", .trigger),
        ("open", .trigger), ("critical", .trigger), ("down", .trigger),
        ("ack", .acknowledge), ("Acknowledged", .acknowledge), ("acknowledge", .acknowledge),
        ("resolved", .resolve), ("OK", .resolve), ("recovered", .resolve), ("recovery", .resolve), ("closed", .resolve),
        ("close", .resolve), ("up", .resolve), ("green", .resolve), ("normal", .resolve),
    ])
    func statusWords(_ word: String, _ action: NormalizedAlert.Action) throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"dedup_key":"k","status":"\#(word)"}"#)).first)
        #expect(alert.action == action)
    }

    @Test func unknownActionWordFallsThroughThenDefaultsToTrigger() throws {
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"action":"notify","status":"resolved"}"#)).first)
        #expect(alert.action == .resolve)
        let none = try #require(try parser.parse(InboundPayload(text: #"{"action":"notify"}"#)).first)
        #expect(none.action == .trigger)
    }

    @Test func longTitleIsClipped() throws {
        let long = String(repeating: "é", count: 3_000)
        let alert = try #require(try parser.parse(InboundPayload(text: #"{"title":"\#(long)"}"#)).first)
        #expect(alert.title.count == AlertText.maximumTitle)
        #expect(alert.title.hasSuffix("…"))
    }
}
