import OnCallCore
import OnCallParsers
import Testing

@Suite struct ZabbixParserTests {
    let parser = ZabbixParser()

    func alert(_ file: String) throws -> NormalizedAlert {
        let alerts = try parser.parse(try WebhookFixtures.payload("zabbix", file))
        try #require(alerts.count == 1)
        return alerts[0]
    }

    func alert(json: String, contentType: String? = "application/json") throws -> NormalizedAlert {
        let alerts = try parser.parse(InboundPayload(text: json, contentType: contentType))
        try #require(alerts.count == 1)
        return alerts[0]
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

    static let fixtures: [Expected] = [
        .init(file: "problem.json", action: .trigger, dedupKey: "zabbix-event-33870164", title: "High CPU utilization (over 90% for 5m)",
              severity: .high, device: "SRV-SQL-01 (Acme SQL)"),
        .init(file: "update-comment.json", action: .trigger, dedupKey: "zabbix-event-33870164",
              title: "High CPU utilization (over 90% for 5m)", severity: .high, device: "SRV-SQL-01 (Acme SQL)"),
        .init(file: "update-ack.json", action: .acknowledge, dedupKey: "zabbix-event-33870164",
              title: "High CPU utilization (over 90% for 5m)", severity: .high, device: "SRV-SQL-01 (Acme SQL)"),
        .init(file: "recovery.json", action: .resolve, dedupKey: "zabbix-event-33870164", title: "High CPU utilization (over 90% for 5m)",
              severity: .high, device: "SRV-SQL-01 (Acme SQL)"),
        .init(file: "localized-severity.json", action: .trigger, dedupKey: "zabbix-event-33870877", title: "Nicht erreichbar per ICMP-Ping",
              severity: .critical, device: "FW-BERLIN-01"),
        .init(file: "severity-name-only.json", action: .trigger, dedupKey: "zabbix-event-33871455",
              title: "Free disk space is less than 10% on volume C:", severity: .high, device: "SRV-FILE-02"),
        .init(file: "grafana-oncall-script.json", action: .trigger, dedupKey: "zabbix-uid-33870992",
              title: "Problem: Zabbix agent is not available (for 3m)", severity: .medium, device: nil),
    ]

    @Test(arguments: fixtures)
    func fixture(_ expected: Expected) throws {
        let alert = try alert(expected.file)
        #expect(alert.action == expected.action)
        #expect(alert.dedupKey == expected.dedupKey)
        #expect(alert.title == expected.title)
        #expect(alert.severity == expected.severity)
        #expect(alert.device == expected.device)
        #expect(alert.source == "zabbix")
    }

    @Test func everyFixtureIsCovered() throws {
        let covered = Set(Self.fixtures.map(\.file) + ["malformed.json"])
        #expect(Set(try WebhookFixtures.files("zabbix")) == covered)
    }

    @Test func problemCarriesMessageLinksAndFacts() throws {
        let alert = try alert("problem.json")
        #expect(alert.description == """
            Problem started at 02:17:43 on 2026.03.14
            Problem name: High CPU utilization (over 90% for 5m)
            Host: SRV-SQL-01 (Acme SQL)
            Severity: High
            Operational data: Current utilization: 97.3 %
            Original problem ID: 33870164
            """)
        #expect(alert.links == [
            .init(url: "https://zabbix.acme-msp.example/tr_events.php?triggerid=24112&eventid=33870164", text: "Zabbix problem")
        ])
        #expect(alert.details == [
            "EVENT.ID": "33870164", "TRIGGER.ID": "24112", "HOST.HOST": "srv-sql-01", "HOST.IP": "10.20.0.15", "EVENT.SEVERITY": "High",
            "EVENT.OPDATA": "Current utilization: 97.3 %", "EVENT.TAGS": "class:os, component:cpu, scope:performance, target:windows",
        ])
    }

    @Test func oneProblemSharesItsKeyFromProblemToRecovery() throws {
        let steps = try ["problem.json", "update-comment.json", "update-ack.json", "recovery.json"].map { try alert($0) }
        #expect(steps.map(\.action) == [.trigger, .trigger, .acknowledge, .resolve])
        #expect(Set(steps.map(\.dedupKey)) == ["zabbix-event-33870164"])
    }

    @Test func recoveryKeepsTheProblemsKeyNotTheRecoveryEvent() throws {
        let alert = try alert("recovery.json")
        #expect(alert.dedupKey == "zabbix-event-33870164")
        #expect(alert.dedupKey?.contains("33871102") == false)
        #expect(alert.details["EVENT.RECOVERY.ID"] == "33871102")
    }

    @Test func unexpandedMacrosAndUnknownValuesCountAsAbsent() throws {
        let problem = try alert("problem.json")
        #expect(problem.details["EVENT.RECOVERY.ID"] == nil)
        #expect(problem.details["EVENT.UPDATE.ACTION"] == nil)
        #expect(problem.details["USER.FULLNAME"] == nil)
        #expect(!problem.details.values.contains { $0.hasPrefix("{") || $0 == "*UNKNOWN*" })

        let alert = try alert(json: #"{"EVENT.ID":"{EVENT.ID}","EVENT.VALUE":"1","EVENT.NAME":"Disk full","TRIGGER.ID":"24112","HOST.HOST":"srv-sql-01","ZABBIX.URL":"{$ZABBIX.URL}"}"#)
        #expect(alert.dedupKey == "zabbix-trigger-24112-srv-sql-01")
        #expect(alert.links.isEmpty)
    }

    @Test func triggerIDWithoutHostIsTheLastKey() throws {
        #expect(try alert(json: #"{"TRIGGER.ID":"24112","EVENT.VALUE":"1","TRIGGER.NAME":"Disk full"}"#).dedupKey == "zabbix-trigger-24112")
        #expect(try alert(json: #"{"EVENT.VALUE":"1","EVENT.NAME":"Disk full"}"#).dedupKey == nil)
    }

    @Test func updateAcknowledgesOnlyWhenAcknowledged() throws {
        let base = #""EVENT.ID":"5","EVENT.VALUE":"1","EVENT.NAME":"x""#
        #expect(try alert(json: "{\(base),\"EVENT.UPDATE.STATUS\":\"1\",\"EVENT.ACK.STATUS\":\"Yes\"}").action == .acknowledge)
        #expect(try alert(json: "{\(base),\"EVENT.UPDATE.STATUS\":\"1\",\"EVENT.ACK.STATUS\":\"No\"}").action == .trigger)
        // A problem (not an update) of an already acknowledged event, e.g. a later escalation step.
        #expect(try alert(json: "{\(base),\"EVENT.UPDATE.STATUS\":\"0\",\"EVENT.ACK.STATUS\":\"Yes\"}").action == .trigger)
    }

    @Test(arguments: [
        (#"{"EVENT.ID":"5","EVENT.STATUS":"RESOLVED","EVENT.NAME":"x"}"#, NormalizedAlert.Action.resolve),
        (#"{"EVENT.ID":"5","EVENT.STATUS":"PROBLEM","EVENT.NAME":"x"}"#, .trigger),
        (#"{"EVENT.ID":"5","EVENT.RECOVERY.ID":"6","EVENT.NAME":"x"}"#, .resolve),
        (#"{"EVENT.ID":"5","ALERT.SUBJECT":"Resolved in 5m: Disk full"}"#, .resolve),
        (#"{"EVENT.ID":"5","ALERT.SUBJECT":"Problem: Disk full"}"#, .trigger),
        (#"{"EVENT.ID":"5","EVENT.SOURCE":"1","EVENT.VALUE":"0","EVENT.NAME":"Service down"}"#, .trigger),
    ])
    func actionFallbacks(json: String, action: NormalizedAlert.Action) throws {
        #expect(try alert(json: json).action == action)
    }

    @Test(arguments: [(0, Severity.info), (1, .info), (2, .medium), (3, .medium), (4, .high), (5, .critical)])
    func numericSeverityBeatsTheName(number: Int, severity: Severity) throws {
        let json = #"{"EVENT.ID":"5","EVENT.VALUE":"1","EVENT.NAME":"x","EVENT.NSEVERITY":"\#(number)","EVENT.SEVERITY":"Disaster"}"#
        #expect(try alert(json: json).severity == severity)
    }

    @Test func nameIsUsedOnlyWithoutTheNumber() throws {
        #expect(try alert(json: #"{"EVENT.ID":"5","EVENT.NAME":"x","EVENT.NSEVERITY":"{EVENT.NSEVERITY}","EVENT.SEVERITY":"Disaster"}"#).severity == .critical)
        // A renamed severity without its number says nothing we can trust.
        #expect(try alert(json: #"{"EVENT.ID":"5","EVENT.NAME":"x","EVENT.SEVERITY":"Katastrophe"}"#).severity == SeverityText.fallback)
    }

    @Test func grafanaOnCallScriptGroupsAndResolvesByState() throws {
        let problem = try alert("grafana-oncall-script.json")
        #expect(problem.description?.hasPrefix("Problem started at 03:40:02 on 2026.03.14\nProblem name:") == true)
        #expect(problem.details == ["alert_uid": "33870992"])
        let recovery = try alert(json: #"{"alert_uid":"33870992","title":"Resolved: Zabbix agent is not available (for 3m) ONCALL_GROUP: 33870992","state":"ok","message":"Resolved"}"#)
        #expect(recovery.action == .resolve)
        #expect(recovery.dedupKey == problem.dedupKey)
        #expect(recovery.title == "Resolved: Zabbix agent is not available (for 3m)")
        // Without alert_uid the group still comes from the subject.
        #expect(try alert(json: #"{"title":"Problem: Disk full ONCALL_GROUP: 991","state":"alerting"}"#).dedupKey == "zabbix-uid-991")
    }

    @Test func underscoreNestedAndFormSpellingsAreOneName() throws {
        let nested = try alert(json: #"{"event":{"id":"77","value":"0","name":"Disk full"},"host":{"name":"srv-file-02"}}"#)
        #expect(nested.action == .resolve)
        #expect(nested.dedupKey == "zabbix-event-77")
        #expect(nested.device == "srv-file-02")
        let underscores = try alert(json: #"{"event_id":"79","event_value":"1","event_nseverity":"5","event_severity":"Information","event_name":"Disk full","host_name":"srv-file-02"}"#)
        #expect(underscores.dedupKey == "zabbix-event-79")
        #expect(underscores.severity == .critical)
        #expect(underscores.device == "srv-file-02")
        let form = try alert(json: "EVENT.ID=78&EVENT.VALUE=1&EVENT.NAME=Disk+full&EVENT.NSEVERITY=4", contentType: "application/x-www-form-urlencoded")
        #expect(form.dedupKey == "zabbix-event-78")
        #expect(form.title == "Disk full")
        #expect(form.severity == .high)
    }

    @Test func malformedBodySaysWhere() throws {
        let error = #expect(throws: ParseError.self) { try parser.parse(try WebhookFixtures.payload("zabbix", "malformed.json")) }
        #expect(error?.message.contains("line 3, column") == true)
    }

    @Test(arguments: [#"["EVENT.ID"]"#, "{}", #"{"EVENT.VALUE":"7","EVENT.ID":"5"}"#])
    func unreadableBodiesAreErrors(json: String) {
        #expect(throws: ParseError.self) { try parser.parse(InboundPayload(text: json, contentType: "application/json")) }
    }
}
