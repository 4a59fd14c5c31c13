import Foundation
import Testing
import OnCallCore

@Suite("Configuration as code: validation")
struct ConfigurationValidatorTests {
    /// acme's tenant after `change`, its problems as `path: message`.
    static func problems(_ change: (inout TenantConfiguration) -> Void) -> [String] {
        var tenant = ConfigurationFixtures.tenant
        change(&tenant)
        return ConfigurationValidator.validate(tenant).map(\.description)
    }

    static func dateTime(_ text: String) -> LocalDateTime { LocalDateTime(text)! }

    @Test func idsAndNames() {
        #expect(Self.problems { $0.id = "Acme_MSP" } == ["id: tenant id 'Acme_MSP' must be lowercase letters, digits and '-' (at most 63, starting with a letter or digit)"])
        #expect(Self.problems { $0.name = " " } == ["name: name must not be empty"])
        #expect(Self.problems { $0.technicians[1].id = "alice" } == [
            "technicians[1].id: duplicate id 'alice' (also technicians[0])",
            "schedules[0].layers[0].members[1]: unknown technician 'bob'",
            "schedules[1].layers[0].members[1]: unknown technician 'bob'",
        ])
        #expect(Self.problems { $0.schedules[1].id = "-security" } == [
            "schedules[1].id: id '-security' must be lowercase letters, digits, '_', '.' and '-' (at most 64, starting with a letter or digit)",
            "escalation_policies[1].layers[0].targets[0].schedule: unknown schedule 'security'",
        ])
        #expect(Self.problems { $0.services.append($0.services[0]) } == ["services[4].id: duplicate id 'endpoints' (also services[0])"])
        #expect(Self.problems { $0.escalationPolicies[0].name = "" } == ["escalation_policies[0].name: name must not be empty"])
        #expect(Self.problems { $0.integrations[7].id = "" } == ["integrations[7].id: missing id"])
        #expect(Self.problems { $0.technicians[1].contactMethods[0].id = "alice-hook" } == [
            "technicians[1].contact_methods[0].id: duplicate contact method id 'alice-hook' (also technicians[0].contact_methods[0])",
            "technicians[1].notification_rules[0].contact_method: unknown contact method 'bob-hook' (bob's: alice-hook, bob-teams)",
        ])
        #expect(Self.problems { $0.technicians[1].hubUserID = "hub-7f3a" } == ["technicians[1].hub_user_id: hub_user_id 'hub-7f3a' is also technicians[0]'s"])
        #expect(ConfigurationValidator.isValidID(String(repeating: "a", count: 64)) && !ConfigurationValidator.isValidID(String(repeating: "a", count: 65)))
        #expect(ConfigurationValidator.isValidTenantID(String(repeating: "a", count: 63)) && !ConfigurationValidator.isValidTenantID(String(repeating: "a", count: 64)))
        #expect(ConfigurationValidator.isValidID("a.b_c-9") && !ConfigurationValidator.isValidTenantID("a.b"))
    }

    @Test func timeZones() {
        #expect(Self.problems { $0.technicians[0].timeZone = "Europe/Pariss" } == ["technicians[0].time_zone: unknown time zone 'Europe/Pariss' (expected an IANA name like Europe/Paris)"])
        #expect(Self.problems { $0.schedules[0].timeZone = "" } == ["schedules[0].time_zone: unknown time zone '' (expected an IANA name like Europe/Paris)"])
        #expect(Self.problems { $0.services[3].maintenanceWindows[0].timeZone = "Mars/Olympus" } == ["services[3].maintenance_windows[0].time_zone: unknown time zone 'Mars/Olympus' (expected an IANA name like Europe/Paris)"])
    }

    @Test func technicianContactsAndRules() {
        #expect(Self.problems { $0.technicians[0].notificationRules[1].contactMethod = "bob-hook" } == ["technicians[0].notification_rules[1].contact_method: unknown contact method 'bob-hook' (alice's: alice-hook, alice-sms)"])
        #expect(Self.problems { $0.technicians[0].notificationRules[1].delay = .seconds(-300) } == ["technicians[0].notification_rules[1].delay: delay must not be negative"])
        #expect(Self.problems { $0.technicians[0].contactMethods[0].address = "" } == ["technicians[0].contact_methods[0].url: url must not be empty"])
        #expect(Self.problems { $0.technicians[0].contactMethods[0].address = "127.0.0.1:9911/pages/alice" } == ["technicians[0].contact_methods[0].url: not a URL (expected http://… or https://…)"])
        #expect(Self.problems { $0.technicians[3].contactMethods[1].address = "https://hooks.slack.example/T00/B00" }.isEmpty)
        #expect(Self.problems { $0.technicians[0].contactMethods[1].address = "0612345678" } == ["technicians[0].contact_methods[1].to: not a phone number (expected + and the international number, like +33612345678)"])
        #expect(Self.problems { $0.technicians[0].contactMethods[1].address = "+33 6 12" } == ["technicians[0].contact_methods[1].to: not a phone number (expected + and the international number, like +33612345678)"])
        #expect(Self.problems { $0.technicians[2].contactMethods[1].address = "carol.acme-msp.example" } == ["technicians[2].contact_methods[1].address: not an email address (expected name@domain)"])
        #expect(Self.problems { $0.technicians[2].email = "carol" } == ["technicians[2].email: not an email address: 'carol'"])
    }

    @Test func aNegativeDelayInTheFileIsReportedWithItsLine() {
        let text = ConfigurationFixtures.acme(replacing: "delay: 2m", with: "delay: -5m")
        #expect(ConfigurationFixtures.loadProblems(text) == ["tenants[0].technicians[0].notification_rules[1].delay (line 27): delay must not be negative"])
    }

    @Test func scheduleLayers() {
        #expect(Self.problems { $0.schedules[0].layers[0].members.append("zed") } == ["schedules[0].layers[0].members[3]: unknown technician 'zed'"])
        #expect(Self.problems { $0.schedules[0].layers[1].members = [] } == ["schedules[0].layers[1].members: members must not be empty"])
        #expect(Self.problems { $0.schedules[1].layers[0].rotation = .every(.zero) } == ["schedules[1].layers[0].rotation.every: a rotation must last longer than 0s"])
        #expect(Self.problems { $0.schedules[0].layers[0].name = "" } == ["schedules[0].layers[0].name: name must not be empty"])
        #expect(Self.problems { $0.schedules[0].layers[1].restrictions[0].days = [] } == ["schedules[0].layers[1].restrictions[0].days: days must not be empty"])
        #expect(Self.problems { $0.schedules[0].layers[1].restrictions[0].from = LocalTime("24:00")! } == ["schedules[0].layers[1].restrictions[0].from: from must be before 24:00 (use 00:00 for the start of a day)"])
        #expect(Self.problems { $0.schedules[0].layers[1].restrictions[0] = Restriction(days: [.fri], from: LocalTime("22:00")!, to: LocalTime("06:00")!) }.isEmpty)
    }

    @Test func scheduleOverrides() {
        #expect(Self.problems { $0.schedules[0].overrides[0].technician = "zed" } == ["schedules[0].overrides[0].technician: unknown technician 'zed'"])
        #expect(Self.problems { $0.schedules[0].overrides[0].end = Self.dateTime("2026-12-24T18:00") } == ["schedules[0].overrides[0].end: end must be after start"])
        let overlapping = ScheduleOverride(technician: "dave", start: Self.dateTime("2026-12-25T09:00"), end: Self.dateTime("2026-12-27T09:00"))
        #expect(Self.problems { $0.schedules[0].overrides.append(overlapping) } == ["schedules[0].overrides[1]: overlaps override 0"])
        let touching = ScheduleOverride(technician: "dave", start: Self.dateTime("2026-12-26T09:00"), end: Self.dateTime("2026-12-27T09:00"))
        #expect(Self.problems { $0.schedules[0].overrides.append(touching) }.isEmpty)
        #expect(Self.problems { $0.schedules[1].overrides = [touching, overlapping] } == ["schedules[1].overrides[1]: overlaps override 0"])
    }

    @Test func escalationPolicies() {
        #expect(Self.problems { $0.escalationPolicies[0].repeatCount = 21 } == ["escalation_policies[0].repeat: repeat must be from 0 to 20"])
        #expect(Self.problems { $0.escalationPolicies[0].repeatCount = -1 } == ["escalation_policies[0].repeat: repeat must be from 0 to 20"])
        #expect(Self.problems { $0.escalationPolicies[0].layers = [] } == ["escalation_policies[0].layers: layers must not be empty"])
        #expect(Self.problems { $0.escalationPolicies[0].layers[0].delay = .zero } == ["escalation_policies[0].layers[0].delay: delay must be at least 1s"])
        #expect(Self.problems { $0.escalationPolicies[0].layers[1].targets = [] } == ["escalation_policies[0].layers[1].targets: targets must not be empty"])
        #expect(Self.problems { $0.escalationPolicies[1].layers[0].targets = [.schedule("nights"), .technician("zed")] } == [
            "escalation_policies[1].layers[0].targets[0].schedule: unknown schedule 'nights'",
            "escalation_policies[1].layers[0].targets[1].technician: unknown technician 'zed'",
        ])
    }

    @Test func servicesAndRoutes() {
        #expect(Self.problems { $0.services[0].escalationPolicy = "gold" } == ["services[0].escalation_policy: unknown escalation policy 'gold'"])
        #expect(Self.problems { $0.services[0].ackTimeout = .zero } == ["services[0].ack_timeout: ack_timeout must be longer than 0s"])
        #expect(Self.problems { $0.services[0].autoResolve = .seconds(-60) } == ["services[0].auto_resolve: auto_resolve must be longer than 0s"])
        #expect(Self.problems { $0.services[3].maintenanceWindows[0].end = Self.dateTime("2026-12-06T21:00") } == ["services[3].maintenance_windows[0].end: end must be after start"])
        #expect(Self.problems { $0.routes[.backups] = "vault" } == ["routes.backups: unknown service 'vault'"])
        #expect(Self.problems { $0.services[0].workflow = "" } == ["services[0].workflow: workflow must not be empty"])
        var tenant = ConfigurationFixtures.tenant
        tenant.services[1].workflow = "critical-first"
        #expect(ConfigurationValidator.validate(tenant, workflows: ["incident"]).map(\.description) == ["services[1].workflow: unknown workflow 'critical-first' (known: incident)"])
        #expect(ConfigurationValidator.validate(tenant, workflows: ["incident", "critical-first"]).isEmpty)
    }

    @Test func integrations() {
        #expect(Self.problems { $0.integrations[0].service = nil } == ["integrations[0].service: a nagios integration needs a service (where its alerts open incidents)"])
        #expect(Self.problems { $0.integrations[0].service = "vault" } == ["integrations[0].service: unknown service 'vault'"])
        #expect(Self.problems { $0.integrations[7].service = "web" } == ["integrations[7].service: a bridge integration takes no service (it is a read-only key)"])
        #expect(Self.problems { $0.integrations[2].key = "short-key" } == ["integrations[2].key: key must be at least 16 characters"])
        #expect(Self.problems { $0.integrations[2].key = "0123456789abcdef" }.isEmpty)
    }

    @Test func aDocumentWithTwoTenantsOfOneId() {
        var document = ConfigurationFixtures.acme
        document.tenants.append(document.tenants[0])
        document.tenants[1].routes[.rmm] = "rmm"
        #expect(ConfigurationValidator.validate(document).map(\.description) == [
            "tenants[1].id: duplicate tenant id 'acme-msp' (also tenants[0])",
            "tenants[1].routes.rmm: unknown service 'rmm'",
        ])
        #expect(ConfigurationValidator.validate(ConfigurationDocument(tenants: [])).map(\.description) == ["tenants: no tenants"])
    }

    @Test func everyProblemOfAFileComesAtOnceWithLines() {
        var text = ConfigurationFixtures.acme(replacing: "members: [alice, bob, carol]", with: "members: [alice, zed, carol]")
        text = text.replacingOccurrences(of: "escalation_policy: security-first", with: "escalation_policy: gold")
        text = text.replacingOccurrences(of: "{ id: noc-wall, type: bridge }", with: "{ id: noc-wall, type: bridge, service: web }")
        #expect(ConfigurationFixtures.loadProblems(text) == [
            "tenants[0].schedules[0].layers[0].members[1] (line 80): unknown technician 'zed'",
            "tenants[0].services[1].escalation_policy (line 121): unknown escalation policy 'gold'",
            "tenants[0].integrations[7].service (line 142): a bridge integration takes no service (it is a read-only key)",
        ])
    }

    @Test func theAdminAPIKeepsTheProblemsOfTheObjectItChanged() throws {
        var tenant = ConfigurationFixtures.tenant
        var night = try ConfigurationCodec.decode(Schedule.self, from: #"{"name":"Nights","time_zone":"Europe/Paris","layers":[{"name":"L","rotation":"daily","handoff":"2026-11-02T21:00","members":["alice","zed"]}]}"#, idRequired: false)
        night.id = "nights"
        tenant.schedules.append(night)
        tenant.services[0].escalationPolicy = "gold"
        let problems = ConfigurationValidator.validate(tenant)
        #expect(problems.count == 2)
        #expect(problems.scoped(to: "schedules[2]") == [ConfigurationProblem(path: "layers[0].members[1]", message: "unknown technician 'zed'")])
        #expect(problems.scoped(to: "schedules[1]").isEmpty)
        #expect(problems.scoped(to: "services[0]").map(\.description) == ["escalation_policy: unknown escalation policy 'gold'"])
        #expect(problems.scoped(to: "services").map(\.description) == ["[0].escalation_policy: unknown escalation policy 'gold'"])
        #expect(problems.scoped(to: "").count == 2)
        #expect(ConfigurationProblem(path: "services[10].name", message: "x").relative(to: "services[1]") == nil)
        #expect(ConfigurationProblem(path: "a.b", line: 3, message: "m").described(in: "acme.yaml") == "acme.yaml:3: a.b: m")
    }
}
