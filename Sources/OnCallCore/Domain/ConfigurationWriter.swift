/// Configuration values as ``ConfigurationTree``s with the file format's keys and shapes, so what is written reads back
/// as the same value (an integration's key excepted: it is never written).
enum ConfigurationWriter {
    static func duration(_ value: Duration) -> ConfigurationTree {
        .text(value < .zero ? "-" + DurationText.format(.zero - value) : DurationText.format(value))
    }

    static func optional(_ text: String?) -> ConfigurationTree { text.map { .text($0) } ?? .null }

    static func document(_ document: ConfigurationDocument) -> ConfigurationTree {
        .object([("version", .number(document.version)), ("tenants", .list(document.tenants.map(tenant)))])
    }

    static func tenant(_ tenant: TenantConfiguration) -> ConfigurationTree {
        .object([
            ("id", .text(tenant.id)),
            ("name", .text(tenant.name)),
            ("routes", routes(tenant.routes)),
            ("settings", settings(tenant.settings)),
            ("technicians", .list(tenant.technicians.map(technician))),
            ("schedules", .list(tenant.schedules.map(schedule))),
            ("escalation_policies", .list(tenant.escalationPolicies.map(escalationPolicy))),
            ("services", .list(tenant.services.map(service))),
            ("integrations", .list(tenant.integrations.map(integration))),
        ])
    }

    static func settings(_ settings: TenantSettings) -> ConfigurationTree {
        .object([("rmm_min_severity", .text(settings.rmmMinimumSeverity.rawValue))])
    }

    static func routes(_ routes: Routes) -> ConfigurationTree {
        .object(Routes.Source.allCases.map { ($0.rawValue, optional(routes[$0])) })
    }

    static func technician(_ technician: Technician) -> ConfigurationTree {
        .object([
            ("id", .text(technician.id)),
            ("name", .text(technician.name)),
            ("email", optional(technician.email)),
            ("hub_user_id", optional(technician.hubUserID)),
            ("role", .text(technician.role.rawValue)),
            ("time_zone", optional(technician.timeZone)),
            ("contact_methods", .list(technician.contactMethods.map(contactMethod))),
            ("notification_rules", .list(technician.notificationRules.map(notificationRule))),
        ])
    }

    static func contactMethod(_ method: ContactMethod) -> ConfigurationTree {
        .object([("id", .text(method.id)), ("type", .text(method.type.rawValue)), (method.type.addressKey, .text(method.address))])
    }

    static func notificationRule(_ rule: NotificationRule) -> ConfigurationTree {
        .object([("contact_method", .text(rule.contactMethod)), ("delay", duration(rule.delay))])
    }

    static func schedule(_ schedule: Schedule) -> ConfigurationTree {
        .object([
            ("id", .text(schedule.id)),
            ("name", .text(schedule.name)),
            ("time_zone", .text(schedule.timeZone)),
            ("layers", .list(schedule.layers.map(scheduleLayer))),
            ("overrides", .list(schedule.overrides.map(scheduleOverride))),
        ])
    }

    static func scheduleLayer(_ layer: ScheduleLayer) -> ConfigurationTree {
        .object([
            ("name", .text(layer.name)),
            ("rotation", rotation(layer.rotation)),
            ("handoff", .text(layer.handoff.description)),
            ("members", .list(layer.members.map { .text($0) })),
            ("restrictions", .list(layer.restrictions.map(restriction))),
        ])
    }

    static func rotation(_ rotation: Rotation) -> ConfigurationTree {
        switch rotation {
        case .hourly: .text("hourly")
        case .daily: .text("daily")
        case .weekly: .text("weekly")
        case .every(let length): .object([("every", duration(length))])
        }
    }

    static func restriction(_ restriction: Restriction) -> ConfigurationTree {
        .object([
            ("days", .list(restriction.days.sorted().map { .text($0.rawValue) })),
            ("from", .text(restriction.from.description)),
            ("to", .text(restriction.to.description)),
        ])
    }

    static func scheduleOverride(_ override: ScheduleOverride) -> ConfigurationTree {
        .object([
            ("technician", .text(override.technician)),
            ("start", .text(override.start.description)),
            ("end", .text(override.end.description)),
        ])
    }

    static func escalationPolicy(_ policy: EscalationPolicy) -> ConfigurationTree {
        .object([
            ("id", .text(policy.id)),
            ("name", .text(policy.name)),
            ("repeat", .number(policy.repeatCount)),
            ("layers", .list(policy.layers.map(escalationLayer))),
        ])
    }

    static func escalationLayer(_ layer: EscalationLayer) -> ConfigurationTree {
        .object([("delay", duration(layer.delay)), ("targets", .list(layer.targets.map { .object([($0.kind, .text($0.id))]) }))])
    }

    static func service(_ service: Service) -> ConfigurationTree {
        .object([
            ("id", .text(service.id)),
            ("name", .text(service.name)),
            ("escalation_policy", .text(service.escalationPolicy)),
            ("workflow", .text(service.workflow)),
            ("ack_timeout", service.ackTimeout.map(duration) ?? .null),
            ("auto_resolve", service.autoResolve.map(duration) ?? .null),
            ("page_low_severity", .flag(service.pageLowSeverity)),
            ("maintenance_windows", .list(service.maintenanceWindows.map(maintenanceWindow))),
        ])
    }

    static func maintenanceWindow(_ window: MaintenanceWindow) -> ConfigurationTree {
        .object([
            ("start", .text(window.start.description)),
            ("end", .text(window.end.description)),
            ("time_zone", .text(window.timeZone)),
        ])
    }

    /// Never the key: it is a secret, shown once when generated.
    static func integration(_ integration: Integration) -> ConfigurationTree {
        var fields: [(String, ConfigurationTree)] = [("id", .text(integration.id)), ("type", .text(integration.type.rawValue)), ("service", optional(integration.service))]
        if let grouping = integration.grouping { fields.append(("grouping", .text(grouping.rawValue))) }
        if let rate = integration.ratePerSecond { fields.append(("rate_per_second", .number(rate))) }
        if let burst = integration.burst { fields.append(("burst", .number(burst))) }
        if let interval = integration.interval { fields.append(("interval", .text(DurationText.format(interval)))) }
        if let grace = integration.grace { fields.append(("grace", .text(DurationText.format(grace)))) }
        return .object(fields)
    }
}
