import Foundation
import Testing
import OnCallCore

@Suite("Configuration as code: refusing what does not decode")
struct ConfigurationDecodingErrorTests {
    /// The one problem of acme.yaml with `original` replaced, as `path (line N): message`.
    static func problems(replacing original: String, with replacement: String) -> [String] {
        ConfigurationFixtures.decodeProblems(ConfigurationFixtures.acme(replacing: original, with: replacement)).map(\.description)
    }

    @Test(arguments: [
        // (original, replacement, the problem exactly)
        ("{ delay: 5m, targets", "{ delay: 5m, targets: [{ schedule: primary }], note: x } #",
         "tenants[0].escalation_policies[0].layers[0].note (line 104): unknown key 'note' (expected one of: delay, targets)"),
        ("delay: 2m", "delay: 2 minutes",
         "tenants[0].technicians[0].notification_rules[1].delay (line 27): not a duration (expected 30s, 5m, 2h, 1d)"),
        ("handoff: \"2026-11-02T08:00\"", "handoff: \"2026-11-02 8am\"",
         "tenants[0].schedules[1].layers[0].handoff (line 95): not a local date-time (expected 2026-11-02T09:00)"),
        ("        name: Bob Lindqvist\n", "",
         "tenants[0].technicians[1].name (line 28): missing required key 'name'"),
        ("rotation: weekly", "rotation: fortnightly",
         "tenants[0].schedules[0].layers[0].rotation (line 78): unknown rotation 'fortnightly' (expected hourly, daily, weekly or { every: 12h })"),
        ("rotation: { every: 12h }", "rotation: { every: half a day }",
         "tenants[0].schedules[1].layers[0].rotation.every (line 94): not a duration (expected 30s, 5m, 2h, 1d)"),
        ("days: [sat, sun]", "days: [sat, sunday]",
         "tenants[0].schedules[0].layers[1].restrictions[0].days[1] (line 86): unknown day 'sunday' (expected one of: mon, tue, wed, thu, fri, sat, sun)"),
        ("to: \"24:00\"", "to: \"25:00\"",
         "tenants[0].schedules[0].layers[1].restrictions[0].to (line 86): not a time of day (expected 08:00; 24:00 is the end of the day)"),
        ("role: admin", "role: boss",
         "tenants[0].technicians[0].role (line 20): unknown role 'boss' (expected one of: owner, admin, member)"),
        ("type: sms, to:", "type: sms, url:",
         "tenants[0].technicians[0].contact_methods[1].url (line 24): an sms contact method takes 'to', not 'url'"),
        ("type: pagerduty", "type: opsgenie",
         "tenants[0].integrations[3].type (line 138): unknown integration type 'opsgenie' (expected one of: generic, nagios, icinga, zabbix, datadog, pagerduty, alertmanager, grafana, heartbeat, bridge)"),
        ("[{ technician: erin }] }\n      - id: security-first", "[{ technican: erin }] }\n      - id: security-first",
         "tenants[0].escalation_policies[0].layers[1].targets[0].technican (line 105): unknown key 'technican' (expected one of: schedule, technician)"),
        ("repeat: 2", "repeat: twice",
         "tenants[0].escalation_policies[0].repeat (line 102): expected a whole number"),
        ("members: [dave]", "members: dave",
         "tenants[0].schedules[0].layers[1].members (line 84): expected a list"),
        ("version: 1", "version: 2",
         "version (line 5): unsupported version 2 (this server reads version 1)"),
        ("    services:\n", "    service:\n",
         "tenants[0].service (line 112): unknown key 'service' (expected one of: id, name, routes, settings, technicians, schedules, escalation_policies, services, integrations)"),
        ("      rmm: endpoints", "      rmm: [endpoints]",
         "tenants[0].routes.rmm (line 12): expected text"),
        ("escalation_policy: standard\n        workflow: incident\n      - id: web", "escalation_policy:\n        workflow: incident\n      - id: web",
         "tenants[0].services[2].escalation_policy (line 126): 'escalation_policy' needs a value"),
    ])
    func aProblemHasItsPathLineAndMessage(original: String, replacement: String, expected: String) {
        let problems = Self.problems(replacing: original, with: replacement)
        #expect(problems == [expected])
    }

    @Test func aMisspelledRequiredKeyIsAlsoMissing() {
        #expect(Self.problems(replacing: "{ delay: 5m, targets", with: "{ delai: 5m, targets") == [
            "tenants[0].escalation_policies[0].layers[0].delai (line 104): unknown key 'delai' (expected one of: delay, targets)",
            "tenants[0].escalation_policies[0].layers[0].delay (line 104): missing required key 'delay'",
        ])
    }

    @Test func everyProblemIsReportedAtOnceInLineOrder() {
        var text = ConfigurationFixtures.acme(replacing: "delay: 2m", with: "delay: soon")
        text = text.replacingOccurrences(of: "handoff: \"2026-11-07T00:00\"", with: "handof: \"2026-11-07T00:00\"")
        text = text.replacingOccurrences(of: "ack_timeout: 15m", with: "ack_timeout: 15 min")
        let problems = ConfigurationFixtures.decodeProblems(text)
        #expect(problems.map(\.path) == [
            "tenants[0].technicians[0].notification_rules[1].delay",
            "tenants[0].schedules[0].layers[1].handoff",
            "tenants[0].schedules[0].layers[1].handof",
            "tenants[0].services[1].ack_timeout",
        ])
        #expect(problems.map(\.line) == [27, 81, 83, 123])
    }

    @Test func aYAMLSyntaxErrorHasItsLine() {
        let text = ConfigurationFixtures.acme(replacing: "members: [alice, bob, carol]", with: "members: [alice, bob, carol")
        let problems = ConfigurationFixtures.decodeProblems(text)
        #expect(problems.count == 1)
        #expect(problems.first?.path == "")
        #expect(problems.first.map { $0.line! >= 80 && $0.line! <= 81 } == true, "\(problems)")
        #expect(problems.first?.message.hasPrefix("not valid YAML: ") == true)
        #expect(problems.first?.description.hasPrefix("line \(problems.first?.line ?? 0): not valid YAML") == true)

        let tabs = ConfigurationFixtures.decodeProblems("version: 1\ntenants:\n\t- id: x\n")
        #expect(tabs.count == 1 && tabs[0].line == 3 && tabs[0].message.hasPrefix("not valid YAML"), "\(tabs)")
    }

    @Test func aDuplicateKeyIsRefused() {
        let problems = ConfigurationFixtures.decodeProblems(ConfigurationFixtures.acme(replacing: "name: Bob Lindqvist\n", with: "name: Bob Lindqvist\n        name: Robert\n"))
        #expect(problems.count == 1)
        #expect(problems.first?.message == "duplicate key 'name' in one mapping", "\(problems)")
        #expect(problems.first?.line == 29)
    }

    @Test func emptyAndMisshapenTexts() {
        #expect(ConfigurationFixtures.decodeProblems("").map(\.description) == ["line 1: the text is empty"])
        #expect(ConfigurationFixtures.decodeProblems("# nothing but a comment\n").map(\.description) == ["line 1: the text is empty"])
        #expect(ConfigurationFixtures.decodeProblems("- a\n- b\n").map(\.description) == ["line 1: expected a configuration document (a mapping with keys version, tenants)"])
        #expect(ConfigurationFixtures.decodeProblems("version: 1\n").map(\.description) == ["tenants (line 1): missing required key 'tenants'"])
        #expect(ConfigurationFixtures.decodeProblems("version: 1\ntenants: [acme]\n").map(\.description) == ["tenants[0] (line 2): expected a tenant (a mapping with keys id, name, routes, settings, technicians, schedules, escalation_policies, services, integrations)"])
    }

    @Test func singleObjectPathsStartAtTheObjectsFields() {
        func problems(_ body: String) -> [String] {
            do {
                _ = try ConfigurationCodec.decode(Schedule.self, from: body, idRequired: false)
                return []
            } catch {
                return error.problems.map(\.description)
            }
        }
        #expect(problems(#"{"name":"N","time_zone":"UTC","layers":[{"name":"L","rotation":"daily","handoff":"2026-11-02T09:00","members":["a","b",{"id":"c"}]}]}"#)
            == ["layers[0].members[2] (line 1): expected text"])
        #expect(problems(#"{"name":"N","timezone":"UTC"}"#)
            == ["timezone (line 1): unknown key 'timezone' (expected one of: id, name, time_zone, layers, overrides)",
                "time_zone (line 1): missing required key 'time_zone'"])
        #expect(problems(#"{"name":"N","time_zone":"UTC","overrides":[{"technician":"a","start":"2026-13-01T00:00","end":"2026-12-01T00:00"}]}"#)
            == ["overrides[0].start (line 1): not a local date-time (expected 2026-11-02T09:00)"])
        #expect(problems(#"["name"]"#) == ["line 1: expected a schedule (a mapping with keys id, name, time_zone, layers, overrides)"])
        #expect(problems(#"{"name":"N","time_zone":"UTC""#) == ["line 1: not valid YAML: while parsing a flow mapping (line 1): did not find expected ',' or '}'"])
    }

    @Test func targetsNameOneThing() {
        func problems(_ body: String) -> [String] {
            do {
                _ = try ConfigurationCodec.decode(EscalationPolicy.self, from: body, idRequired: false)
                return []
            } catch {
                return error.problems.map { "\($0.path): \($0.message)" }
            }
        }
        #expect(problems(#"{"name":"P","layers":[{"delay":"1m","targets":[{"schedule":"a","technician":"b"}]}]}"#)
            == ["layers[0].targets[0]: a target names one schedule or one technician, not both"])
        #expect(problems(#"{"name":"P","layers":[{"delay":"1m","targets":[{}]}]}"#)
            == ["layers[0].targets[0]: a target is { schedule: ID } or { technician: ID }"])
        #expect(problems(#"{"name":"P","layers":[{"delay":"1m","targets":["erin"]}]}"#)
            == ["layers[0].targets[0]: expected a target ({ schedule: ID } or { technician: ID }) (a mapping with keys schedule, technician)"])
    }
}
