import Testing
import OnCallCore

@Suite("Configuration as code: decoding and encoding")
struct ConfigurationCodecTests {
    let tenant = ConfigurationFixtures.tenant

    @Test func acmeDecodesAsWritten() throws {
        let document = ConfigurationFixtures.acme
        #expect(document.version == 1)
        #expect(document.tenants.count == 1)
        #expect(tenant.id == "acme-msp")
        #expect(tenant.name == "Acme Managed Services")
        #expect(tenant.routes == Routes([.defend: "security-ops", .rmm: "endpoints", .security: "security-ops", .backups: "backups"]))
        #expect(tenant.technicians.map(\.id) == ["alice", "bob", "carol", "dave", "erin"])
        #expect(tenant.schedules.map(\.id) == ["primary", "security"])
        #expect(tenant.escalationPolicies.map(\.id) == ["standard", "security-first"])
        #expect(tenant.services.map(\.id) == ["endpoints", "security-ops", "backups", "web"])
        #expect(tenant.integrations.count == 8)
    }

    @Test func acmeTechnicians() {
        let alice = tenant.technicians[0]
        #expect(alice == Technician(
            id: "alice", name: "Alice Moreau", email: "alice@acme-msp.example", hubUserID: "hub-7f3a", role: .admin, timeZone: "Europe/Paris",
            contactMethods: [
                ContactMethod(id: "alice-hook", type: .webhook, address: "http://127.0.0.1:9911/pages/alice"),
                ContactMethod(id: "alice-sms", type: .sms, address: "+33612345678"),
            ],
            notificationRules: [
                NotificationRule(contactMethod: "alice-hook", delay: .zero),
                NotificationRule(contactMethod: "alice-sms", delay: .seconds(120)),
            ]
        ))
        #expect(tenant.technicians[1].contactMethods[1] == ContactMethod(id: "bob-teams", type: .teams, address: "http://127.0.0.1:9911/teams/noc"))
        #expect(tenant.technicians[2].contactMethods[1] == ContactMethod(id: "carol-mail", type: .email, address: "carol@acme-msp.example"))
        #expect(tenant.technicians[2].notificationRules[1].delay == .seconds(60))
        #expect(tenant.technicians[3].timeZone == nil)
        #expect(tenant.technicians[3].contactMethods[1].type == .slack)
        #expect(tenant.technicians[4].role == .owner)
    }

    @Test func acmeSchedules() {
        let primary = tenant.schedules[0]
        #expect(primary.name == "Primary on-call" && primary.timeZone == "Europe/Paris")
        #expect(primary.layers[0] == ScheduleLayer(
            name: "Weekly rotation", rotation: .weekly, handoff: LocalDateTime(year: 2026, month: 11, day: 2, hour: 9)!, members: ["alice", "bob", "carol"]
        ))
        #expect(primary.layers[1].rotation == .daily)
        #expect(primary.layers[1].restrictions == [Restriction(days: [.sat, .sun], from: LocalTime(hour: 0, minute: 0)!, to: LocalTime(hour: 24, minute: 0)!)])
        #expect(primary.overrides == [ScheduleOverride(
            technician: "carol", start: LocalDateTime(year: 2026, month: 12, day: 24, hour: 18)!, end: LocalDateTime(year: 2026, month: 12, day: 26, hour: 9)!
        )])
        let security = tenant.schedules[1]
        #expect(security.timeZone == "America/New_York")
        #expect(security.layers[0].rotation == .every(.seconds(12 * 3600)))
        #expect(security.layers[0].members == ["carol", "bob"])
        #expect(security.layers[0].restrictions[0].days == [.mon, .tue, .wed, .thu, .fri])
        #expect(security.layers[0].restrictions[0].from == LocalTime("08:00") && security.layers[0].restrictions[0].to == LocalTime("20:00"))
        #expect(security.overrides.isEmpty)
    }

    @Test func acmePoliciesServicesAndIntegrations() {
        #expect(tenant.escalationPolicies[0] == EscalationPolicy(id: "standard", name: "Standard", repeatCount: 2, layers: [
            EscalationLayer(delay: .seconds(300), targets: [.schedule("primary")]),
            EscalationLayer(delay: .seconds(600), targets: [.technician("erin")]),
        ]))
        #expect(tenant.escalationPolicies[1].repeatCount == 0)
        #expect(tenant.escalationPolicies[1].layers[0].targets == [.schedule("security"), .technician("alice")])
        #expect(tenant.services[0] == Service(
            id: "endpoints", name: "Endpoints (RMM)", escalationPolicy: "standard", workflow: "incident", ackTimeout: .seconds(1800), autoResolve: .seconds(4 * 3600)
        ))
        #expect(tenant.services[1].ackTimeout == .seconds(900) && tenant.services[1].autoResolve == nil)
        #expect(tenant.services[2].ackTimeout == nil && tenant.services[2].pageLowSeverity == false)
        #expect(tenant.services[3].maintenanceWindows == [MaintenanceWindow(
            start: LocalDateTime(year: 2026, month: 12, day: 6, hour: 22)!, end: LocalDateTime(year: 2026, month: 12, day: 7, hour: 2)!, timeZone: "Europe/Paris"
        )])
        #expect(tenant.integrations[0] == Integration(id: "nagios-core", type: .nagios, service: "endpoints"))
        #expect(tenant.integrations.map(\.type) == [.nagios, .zabbix, .datadog, .pagerduty, .alertmanager, .grafana, .generic, .bridge])
        #expect(tenant.integrations[7] == Integration(id: "noc-wall", type: .bridge, service: nil, key: nil))
    }

    @Test func acmeValidatesWithoutProblems() throws {
        #expect(ConfigurationValidator.validate(ConfigurationFixtures.acme).isEmpty)
        #expect(ConfigurationValidator.validate(ConfigurationFixtures.acme, workflows: ["incident"]).isEmpty)
        #expect(try ConfigurationCodec.loadDocument(ConfigurationFixtures.acmeText) == ConfigurationFixtures.acme)
        #expect(try ConfigurationCodec.loadDocument(ConfigurationFixtures.acmeText, workflows: ["incident", "critical-first"]) == ConfigurationFixtures.acme)
        do {
            _ = try ConfigurationCodec.loadDocument(ConfigurationFixtures.acmeText, workflows: ["critical-first"])
            Issue.record("acme.yaml loaded without its workflow")
        } catch {
            #expect(error.problems.map(\.line) == [116, 122, 127, 131])
            #expect(error.problems.first?.description == "tenants[0].services[0].workflow (line 116): unknown workflow 'incident' (known: critical-first)")
        }
    }

    // MARK: Round trips

    @Test func everyObjectRoundTripsThroughJSON() throws {
        typealias C = ConfigurationCodec
        #expect(try C.decode(TenantConfiguration.self, from: C.json(tenant)) == tenant)
        #expect(try C.decode(Routes.self, from: C.json(tenant.routes)) == tenant.routes)
        #expect(try C.decode(Routes.self, from: C.json(Routes())) == Routes())
        for technician in tenant.technicians {
            #expect(try C.decode(Technician.self, from: C.json(technician)) == technician)
            #expect(try C.decode(Technician.self, from: C.json(technician, pretty: true)) == technician)
            for method in technician.contactMethods { #expect(try C.decode(ContactMethod.self, from: C.json(method)) == method) }
            for rule in technician.notificationRules { #expect(try C.decode(NotificationRule.self, from: C.json(rule)) == rule) }
        }
        for schedule in tenant.schedules {
            #expect(try C.decode(Schedule.self, from: C.json(schedule)) == schedule)
            for layer in schedule.layers { #expect(try C.decode(ScheduleLayer.self, from: C.json(layer)) == layer) }
            for override in schedule.overrides { #expect(try C.decode(ScheduleOverride.self, from: C.json(override)) == override) }
        }
        for policy in tenant.escalationPolicies { #expect(try C.decode(EscalationPolicy.self, from: C.json(policy)) == policy) }
        for service in tenant.services {
            #expect(try C.decode(Service.self, from: C.json(service)) == service)
            for window in service.maintenanceWindows { #expect(try C.decode(MaintenanceWindow.self, from: C.json(window)) == window) }
        }
        for integration in tenant.integrations { #expect(try C.decode(Integration.self, from: C.json(integration)) == integration) }
        #expect(try C.decodeDocument(C.json(ConfigurationFixtures.acme, pretty: true)) == ConfigurationFixtures.acme)
    }

    @Test func unusualValuesRoundTrip() throws {
        let odd = Schedule(id: "odd", name: "Quotes \" and \\ and\nnewlines, ünïcödé, 🚨, yes", timeZone: "Asia/Kolkata", layers: [
            ScheduleLayer(
                name: "null", rotation: .every(.seconds(90 * 60 + 5)), handoff: LocalDateTime(year: 2028, month: 2, day: 29, hour: 23, minute: 59, second: 30)!,
                members: ["a", "b.c", "d-e_f"],
                restrictions: [Restriction(days: [.sun, .fri, .mon], from: LocalTime("22:00")!, to: LocalTime("06:00")!)]
            ),
            ScheduleLayer(name: "", rotation: .hourly, handoff: LocalDateTime(year: 2026, month: 1, day: 1)!, members: []),
        ])
        #expect(try ConfigurationCodec.decode(Schedule.self, from: ConfigurationCodec.json(odd)) == odd)
        let negative = NotificationRule(contactMethod: "x", delay: .seconds(-300))
        #expect(ConfigurationCodec.json(negative) == #"{"contact_method":"x","delay":"-5m"}"#)
        #expect(try ConfigurationCodec.decode(NotificationRule.self, from: ConfigurationCodec.json(negative)) == negative)
        let quiet = Service(id: "s", name: "S", escalationPolicy: "p", workflow: "critical-first", pageLowSeverity: true)
        #expect(try ConfigurationCodec.decode(Service.self, from: ConfigurationCodec.json(quiet)) == quiet)

        var tenant = TenantConfiguration(id: "t", name: "true", schedules: [odd], services: [quiet])
        tenant.technicians = [Technician(id: "n", name: "123", email: nil, hubUserID: "00012", timeZone: "UTC")]
        let document = ConfigurationDocument(tenants: [tenant])
        #expect(try ConfigurationCodec.decodeDocument(ConfigurationCodec.yaml(document)) == document)
        #expect(try ConfigurationCodec.decode(TenantConfiguration.self, from: ConfigurationCodec.yaml(tenant)) == tenant)
    }

    @Test func acmeRoundTripsThroughYAML() throws {
        let yaml = ConfigurationCodec.yaml(ConfigurationFixtures.acme)
        #expect(try ConfigurationCodec.decodeDocument(yaml) == ConfigurationFixtures.acme)
        #expect(yaml.hasPrefix("version: 1\ntenants:\n  - id: acme-msp\n    name: Acme Managed Services\n    routes:\n      defend: security-ops\n"))
        #expect(yaml.contains("\n            rotation: { every: 12h }\n"))
        #expect(yaml.contains("\n            members: [alice, bob, carol]\n"))
        #expect(yaml.contains("\n              - { days: [sat, sun], from: \"00:00\", to: \"24:00\" }\n"))
        #expect(yaml.contains("\n          - { id: alice-sms, type: sms, to: \"+33612345678\" }\n"))
        #expect(yaml.contains("\n      - { id: noc-wall, type: bridge }\n"))
        #expect(!yaml.contains("null"))
    }

    // MARK: JSON output

    @Test func jsonHasTheFileKeysInTheFileOrder() {
        #expect(ConfigurationCodec.json(tenant.technicians[0].contactMethods[1]) == #"{"id":"alice-sms","type":"sms","to":"+33612345678"}"#)
        #expect(ConfigurationCodec.json(tenant.technicians[2].contactMethods[1]) == #"{"id":"carol-mail","type":"email","address":"carol@acme-msp.example"}"#)
        #expect(ConfigurationCodec.json(tenant.escalationPolicies[1]) == #"{"id":"security-first","name":"Security first","repeat":0,"layers":[{"delay":"3m","targets":[{"schedule":"security"},{"technician":"alice"}]},{"delay":"5m","targets":[{"technician":"erin"}]}]}"#)
        #expect(ConfigurationCodec.json(tenant.schedules[1].layers[0]) == #"{"name":"Business hours","rotation":{"every":"12h"},"handoff":"2026-11-02T08:00","members":["carol","bob"],"restrictions":[{"days":["mon","tue","wed","thu","fri"],"from":"08:00","to":"20:00"}]}"#)
        #expect(ConfigurationCodec.json(tenant.services[1]) == #"{"id":"security-ops","name":"Security operations","escalation_policy":"security-first","workflow":"incident","ack_timeout":"15m","auto_resolve":null,"page_low_severity":false,"maintenance_windows":[]}"#)
        #expect(ConfigurationCodec.json(tenant.technicians[3]).contains(#""time_zone":null"#))
        #expect(ConfigurationCodec.json(Routes([.rmm: "endpoints"])) == #"{"defend":null,"rmm":"endpoints","security":null,"backups":null}"#)
        #expect(ConfigurationCodec.json(tenant.schedules[0]) == ConfigurationCodec.json(tenant.schedules[0]))
    }

    @Test func anIntegrationKeyIsReadButNeverWritten() throws {
        let given = try ConfigurationCodec.decode(Integration.self, from: #"{"id":"nagios-2","type":"nagios","service":"endpoints","key":"0123456789abcdef-secret"}"#)
        #expect(given.key == "0123456789abcdef-secret")
        let json = ConfigurationCodec.json(given)
        #expect(json == #"{"id":"nagios-2","type":"nagios","service":"endpoints"}"#)
        #expect(!json.contains("secret"))
        #expect(ConfigurationCodec.json(Integration(id: "noc-wall", type: .bridge, service: nil)) == #"{"id":"noc-wall","type":"bridge","service":null}"#)
        var tenant = tenant
        tenant.integrations[0].key = "0123456789abcdef-secret"
        #expect(!ConfigurationCodec.json(tenant).contains("secret") && !ConfigurationCodec.yaml(tenant).contains("secret"))
    }

    // MARK: Admin API bodies

    @Test func aScheduleBodyWithoutIDDecodesForCreation() throws {
        let body = #"{"name":"Night desk","time_zone":"Europe/Paris","layers":[{"name":"Nights","rotation":{"every":"12h"},"handoff":"2026-11-02T21:00","members":["alice","bob"],"restrictions":[{"days":["mon","fri"],"from":"21:00","to":"09:00"}]}],"overrides":[]}"#
        let schedule = try ConfigurationCodec.decode(Schedule.self, from: body, idRequired: false)
        #expect(schedule == Schedule(id: "", name: "Night desk", timeZone: "Europe/Paris", layers: [
            ScheduleLayer(
                name: "Nights", rotation: .every(.seconds(43200)), handoff: LocalDateTime("2026-11-02T21:00")!, members: ["alice", "bob"],
                restrictions: [Restriction(days: [.mon, .fri], from: LocalTime("21:00")!, to: LocalTime("09:00")!)]
            ),
        ]))
        #expect(try ConfigurationCodec.decode(Schedule.self, from: #"{"id":null,"name":"N","time_zone":"UTC"}"#, idRequired: false).id == "")
        #expect(throws: InvalidConfiguration(problems: [.init(path: "id", line: 1, message: "missing required key 'id'")])) {
            try ConfigurationCodec.decode(Schedule.self, from: body)
        }
    }

    @Test func bodiesMayBeIndentedJSONOrYAML() throws {
        let pretty = """
            {
              "id": "zoe",
              "name": "Zoé",
              "email": null,
              "role": "member",
              "contact_methods": [ { "id": "zoe-sms", "type": "sms", "to": "+4712345678" } ],
              "notification_rules": [ { "contact_method": "zoe-sms", "delay": "1m30s" } ]
            }
            """
        let zoe = try ConfigurationCodec.decode(Technician.self, from: pretty)
        #expect(zoe == Technician(id: "zoe", name: "Zoé", contactMethods: [ContactMethod(id: "zoe-sms", type: .sms, address: "+4712345678")],
                                  notificationRules: [NotificationRule(contactMethod: "zoe-sms", delay: .seconds(90))]))
        // What JSON encoders write: escaped slashes, \u escapes, surrogate pairs (Python's default), tabs, a byte-order mark.
        let escaped = "\u{FEFF}{\n\t\"name\": \"Caf\\u00e9 \\ud83d\\udea8 \\/ \\\\ud83d\",\n\t\"time_zone\": \"UTC\"\n}"
        #expect(try ConfigurationCodec.decode(Schedule.self, from: escaped, idRequired: false).name == "Café 🚨 / \\ud83d")
        let method = try ConfigurationCodec.decode(ContactMethod.self, from: #"{"type":"email","address":"ops@acme-msp.example"}"#, idRequired: false)
        #expect(method == ContactMethod(id: "", type: .email, address: "ops@acme-msp.example"))
        let yaml = "id: web\nname: Web\nescalation_policy: standard\npage_low_severity: true\n"
        #expect(try ConfigurationCodec.decode(Service.self, from: yaml).pageLowSeverity)
        #expect(try ConfigurationCodec.decode(Service.self, from: yaml).workflow == "incident")
    }
}
