import OnCallCore
import OnCallParsers
import Testing

@Suite struct AlertmanagerParserTests {
    let parser = AlertmanagerParser()

    func parse(_ file: String, _ grouping: ParseOptions.Grouping = .perGroup) throws -> [NormalizedAlert] {
        try parser.parse(WebhookFixtures.payload("alertmanager", file, options: ParseOptions(grouping: grouping)))
    }

    func parse(json: String, _ grouping: ParseOptions.Grouping = .perGroup) throws -> [NormalizedAlert] {
        try parser.parse(InboundPayload(text: json, contentType: "application/json", options: ParseOptions(grouping: grouping)))
    }

    static let cpuKey = #"alertmanager:{}/{team="platform"}:{alertname="HighCPUUsage", cluster="prod-eu1"}"#
    static let cpuGroupKey = #"{}/{team="platform"}:{alertname="HighCPUUsage", cluster="prod-eu1"}"#
    static let cpuSource = "http://prometheus-0.prod-eu1.example.internal:9090/graph?g0.expr=100+-+avg+by%28instance%29+%28rate%28node_cpu_seconds_total%7Bmode%3D%22idle%22%7D%5B5m%5D%29%29+%2A+100+%3E+90&g0.tab=1"
    static let alertmanagerURL = "http://alertmanager-0.prod-eu1.example.internal:9093"
    static let cpuRunbook = "https://runbooks.example.com/node/high-cpu?team=platform&env=prod"

    @Test func firingOne() throws {
        let alerts = try parse("firing-one.json")
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.action == .trigger)
        #expect(alert.dedupKey == #"alertmanager:{}/{team="dba"}:{alertname="InstanceDown", cluster="prod-eu1"}"#)
        #expect(alert.title == "Instance db-03.prod-eu1:9100 down")
        #expect(alert.severity == .critical)
        #expect(alert.description == "db-03.prod-eu1:9100 of job node has been down for more than 5 minutes.")
        #expect(alert.source == "alertmanager")
        #expect(alert.device == "db-03.prod-eu1:9100")
        #expect(alert.links == [
            .init(url: "https://runbooks.example.com/node/instance-down?env=prod&team=dba", text: "Runbook"),
            .init(url: "http://prometheus-0.prod-eu1.example.internal:9090/graph?g0.expr=up%7Bjob%3D%22node%22%7D+%3D%3D+0&g0.tab=1", text: "Source"),
            .init(url: Self.alertmanagerURL, text: "Alertmanager"),
        ])
        #expect(alert.details == [
            "status": "firing", "firing": "1", "resolved": "0", "receiver": "oncall-dba", "alertname": "InstanceDown",
            "group_key": #"{}/{team="dba"}:{alertname="InstanceDown", cluster="prod-eu1"}"#,
            "group_labels": "alertname=InstanceDown, cluster=prod-eu1",
            "common_labels": "alertname=InstanceDown, cluster=prod-eu1, instance=db-03.prod-eu1:9100, job=node, severity=critical",
        ])
    }

    @Test func firingTwoAlertsTakesTheHighestSeverity() throws {
        let alert = try #require(try parse("firing-two-alerts.json").first)
        #expect(alert.action == .trigger)
        #expect(alert.dedupKey == Self.cpuKey)
        // No common summary: alertname and the other group label values.
        #expect(alert.title == "HighCPUUsage (prod-eu1)")
        // warning and critical firing: critical.
        #expect(alert.severity == .critical)
        #expect(alert.description == """
            - CPU usage above 90% on web-01.prod-eu1:9100
            - CPU usage above 90% on web-02.prod-eu1:9100
            """)
        // The instances differ, so no device.
        #expect(alert.device == nil)
        #expect(alert.links == [
            .init(url: Self.cpuRunbook, text: "Runbook"),
            .init(url: Self.cpuSource, text: "Source"),
            .init(url: Self.alertmanagerURL, text: "Alertmanager"),
        ])
        #expect(alert.details == [
            "status": "firing", "firing": "2", "resolved": "0", "receiver": "oncall-platform", "alertname": "HighCPUUsage",
            "group_key": Self.cpuGroupKey, "group_labels": "alertname=HighCPUUsage, cluster=prod-eu1",
            "common_labels": "alertname=HighCPUUsage, cluster=prod-eu1, job=node, team=platform",
        ])
    }

    @Test func partlyResolvedStaysOpenWithTheFiringSeverity() throws {
        let alert = try #require(try parse("partly-resolved.json").first)
        #expect(alert.action == .trigger)
        #expect(alert.dedupKey == Self.cpuKey)
        #expect(alert.title == "HighCPUUsage (prod-eu1)")
        // Only the warning alert still fires; the resolved critical one no longer counts.
        #expect(alert.severity == .medium)
        #expect(alert.description == """
            - CPU usage above 90% on web-01.prod-eu1:9100
            - CPU usage above 90% on web-02.prod-eu1:9100 (resolved)
            """)
        #expect(alert.details["status"] == "firing")
        #expect(alert.details["firing"] == "1")
        #expect(alert.details["resolved"] == "1")
    }

    @Test func resolvedGroup() throws {
        let alert = try #require(try parse("resolved.json").first)
        #expect(alert.action == .resolve)
        #expect(alert.dedupKey == Self.cpuKey)
        #expect(alert.title == "HighCPUUsage (prod-eu1)")
        #expect(alert.severity == .critical)
        #expect(alert.details["status"] == "resolved")
        #expect(alert.details["firing"] == "0")
        #expect(alert.details["resolved"] == "2")
    }

    @Test func groupLifecycleKeepsOneKey() throws {
        let sequence = try ["firing-two-alerts.json", "partly-resolved.json", "resolved.json"].map { try parse($0) }
        #expect(sequence.map(\.count) == [1, 1, 1])
        #expect(Set(sequence.map { $0[0].dedupKey }) == [Self.cpuKey])
        #expect(sequence.map { $0[0].action } == [.trigger, .trigger, .resolve])
        #expect(Set(sequence.map { $0[0].title }).count == 1)
    }

    @Test func perAlertOnePerFingerprint() throws {
        let firing = try parse("firing-two-alerts.json", .perAlert)
        #expect(firing.map(\.dedupKey) == ["alertmanager:fingerprint:1c7a4e9b2f630d58", "alertmanager:fingerprint:a93d0f6e7b2c4815"])
        #expect(firing.map(\.action) == [.trigger, .trigger])
        #expect(firing.map(\.severity) == [.medium, .critical])
        #expect(firing.map(\.title) == ["CPU usage above 90% on web-01.prod-eu1:9100", "CPU usage above 90% on web-02.prod-eu1:9100"])
        #expect(firing.map(\.device) == ["web-01.prod-eu1:9100", "web-02.prod-eu1:9100"])
        let first = try #require(firing.first)
        #expect(first.description == "CPU usage on web-01.prod-eu1:9100 has been 94.2% for 10 minutes (threshold > 90%).")
        #expect(first.links == [
            .init(url: Self.cpuRunbook, text: "Runbook"),
            .init(url: Self.cpuSource, text: "Source"),
            .init(url: Self.alertmanagerURL, text: "Alertmanager"),
        ])
        #expect(first.details == [
            "status": "firing", "fingerprint": "1c7a4e9b2f630d58", "alertname": "HighCPUUsage",
            "labels": "alertname=HighCPUUsage, cluster=prod-eu1, instance=web-01.prod-eu1:9100, job=node, severity=warning, team=platform",
            "starts_at": "2025-03-14T09:26:52.181Z", "receiver": "oncall-platform", "group_key": Self.cpuGroupKey,
        ])

        let partly = try parse("partly-resolved.json", .perAlert)
        #expect(partly.map(\.dedupKey) == firing.map(\.dedupKey))
        #expect(partly.map(\.action) == [.trigger, .resolve])
        #expect(partly[1].details["ends_at"] == "2025-03-14T09:41:22.181Z")

        let resolved = try parse("resolved.json", .perAlert)
        #expect(resolved.map(\.dedupKey) == firing.map(\.dedupKey))
        #expect(resolved.map(\.action) == [.resolve, .resolve])
    }

    @Test func truncatedAlertsAreCounted() throws {
        let alert = try #require(try parse("truncated.json").first)
        #expect(alert.dedupKey == #"alertmanager:{}/{namespace=~"payments|billing"}:{alertname="KubePodCrashLooping", namespace="payments"}"#)
        // The common summary is the title, so each line is the alert's description.
        #expect(alert.title == "Pod is crash looping.")
        #expect(alert.severity == .medium)
        #expect(alert.description == """
            - Pod payments/checkout-api-7d9f8b6c5d-x2k4q (checkout-api) is in waiting state (reason: "CrashLoopBackOff"), 7 restarts.
            - Pod payments/checkout-api-7d9f8b6c5d-p9w7z (checkout-api) is in waiting state (reason: "CrashLoopBackOff"), 6 restarts.

            3 more alerts were left out of this notification (max_alerts).
            """)
        #expect(alert.details["truncated_alerts"] == "3")
        #expect(alert.details["firing"] == "2")
        #expect(alert.links.first == .init(url: "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping", text: "Runbook"))
        let perAlert = try parse("truncated.json", .perAlert)
        #expect(perAlert.count == 2)
        #expect(perAlert.allSatisfy { $0.details["truncated_alerts"] == "3" })
    }

    @Test func noSeverityIsMedium() throws {
        let alert = try #require(try parse("no-severity.json").first)
        #expect(alert.action == .trigger)
        #expect(alert.dedupKey == #"alertmanager:{}:{alertname="BlackboxProbeFailed"}"#)
        #expect(alert.severity == .medium)
        #expect(alert.title == "BlackboxProbeFailed")
        #expect(alert.description == "- BlackboxProbeFailed (https://shop.example.com/healthz?deep=1&region=eu)")
        #expect(alert.device == "https://shop.example.com/healthz?deep=1&region=eu")
        #expect(alert.links.map(\.text) == ["Source", "Alertmanager"])
        let single = try #require(try parse("no-severity.json", .perAlert).first)
        #expect(single.title == "BlackboxProbeFailed (https://shop.example.com/healthz?deep=1&region=eu)")
        #expect(single.description == nil)
        #expect(single.severity == .medium)
    }

    @Test func goEscapesDecode() throws {
        let raw = String(decoding: try WebhookFixtures.bytes("alertmanager", "firing-two-alerts.json"), as: UTF8.self)
        #expect(raw.contains(#"\u0026g0.tab=1"#))
        #expect(raw.contains(#"threshold \u003e 90%"#))
        #expect(raw.hasSuffix("}\n"))
        let alert = try #require(try parse("firing-two-alerts.json", .perAlert).first)
        #expect(alert.links.contains { $0.url.hasSuffix("%3E+90&g0.tab=1") })
        #expect(alert.links.allSatisfy { !$0.url.contains(#"\u0026"#) })
        #expect(alert.description?.contains("threshold > 90%") == true)
    }

    @Test func contentTypeIsNotTrusted() throws {
        let payload = try WebhookFixtures.payload("alertmanager", "firing-one.json", contentType: "application/x-www-form-urlencoded")
        #expect(try parser.parse(payload).first?.severity == .critical)
    }

    @Test func malformedFixtureIsAParseError() throws {
        let error = try #require(throws: ParseError.self) { try parse("malformed.json") }
        #expect(error.message.hasPrefix("invalid JSON at line 1"))
    }

    @Test(arguments: [
        (#"{"version":"4","status":"firing","groupKey":"{}:{}"}"#, "no 'alerts' array"),
        (#"{"version":"4","status":"firing","alerts":null}"#, "no 'alerts' array"),
        (#"{"version":"4","status":"firing","alerts":{"status":"firing"}}"#, "'alerts' must be an array"),
        (#"{"version":"4","status":"firing","alerts":[]}"#, "'alerts' is empty"),
        (#"{"version":"4","status":"firing","alerts":["HighCPU"]}"#, "alerts[0] must be an object"),
        (#"{"alerts":[{"status":"firing","labels":["alertname","X"]}]}"#, "'alerts[0].labels' must be an object"),
        (#"{"alerts":[{"status":"firing"}],"commonLabels":"x"}"#, "'commonLabels' must be an object"),
        (#"[{"labels":{"alertname":"X"}}]"#, "must be a JSON object"),
        ("alertname=HighCPU&status=firing", "no 'alerts' array"),
        ("", "the body is empty"),
    ])
    func wrongShapeIsAParseError(body: String, message: String) throws {
        // No Content-Type: the body is sniffed (a form reads as an object without 'alerts').
        let error = try #require(throws: ParseError.self) { try parser.parse(InboundPayload(text: body)) }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func withoutGroupKeyOrFingerprintTheLabelsAreTheKey() throws {
        let json = #"""
            {"status":"firing","groupLabels":{"alertname":"QueueBacklog","queue":"emails"},
             "alerts":[{"status":"firing","labels":{"alertname":"QueueBacklog","queue":"emails","Severity":"CRITICAL"}}]}
            """#
        let group = try #require(try parse(json: json).first)
        #expect(group.dedupKey == #"alertmanager:{alertname="QueueBacklog", queue="emails"}"#)
        #expect(group.title == "QueueBacklog (emails)")
        #expect(group.severity == .critical)
        let single = try #require(try parse(json: json, .perAlert).first)
        #expect(single.dedupKey == #"alertmanager:labels:{Severity="CRITICAL", alertname="QueueBacklog", queue="emails"}"#)
        #expect(single.title == "QueueBacklog")
    }

    @Test func priorityLabelAndCommonLabelsFallback() throws {
        let priority = #"{"status":"firing","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A","priority":"P2"}}]}"#
        #expect(try parse(json: priority).first?.severity == .high)
        let common = #"{"status":"firing","groupKey":"g","commonLabels":{"severity":"critical"},"alerts":[{"status":"firing","labels":{"alertname":"A"}}]}"#
        #expect(try parse(json: common).first?.severity == .critical)
        let unknownWord = #"{"status":"firing","groupKey":"g","alerts":[{"status":"firing","labels":{"alertname":"A","severity":"sev-zero-ish"}}]}"#
        #expect(try parse(json: unknownWord).first?.severity == .medium)
    }

    @Test func everyFixtureButTheMalformedOneParses() throws {
        for file in try WebhookFixtures.files("alertmanager") where file != "malformed.json" {
            for grouping in ParseOptions.Grouping.allCases {
                let alerts = try parse(file, grouping)
                #expect(!alerts.isEmpty, "\(file)")
                #expect(alerts.allSatisfy { $0.source == "alertmanager" && $0.dedupKey?.hasPrefix("alertmanager:") == true && !$0.title.isEmpty })
            }
        }
    }
}
