import Foundation

/// The semantic checks of a decoded configuration: ids, names, time zones, durations, addresses, and that every
/// reference (rotation members, targets, policies, routes, integrations) names something the tenant has.
///
/// Problems carry field paths (`schedules[0].layers[1].members[2]`, under `tenants[i].` for a document), no lines. The
/// admin API validates the tenant as it would be after a change and keeps the problems of the object it changed with
/// `problems.scoped(to: "schedules[0]")`.
public enum ConfigurationValidator {
    /// Every tenant, plus duplicate tenant ids.
    public static func validate(_ document: ConfigurationDocument, workflows: Set<String>? = nil) -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        if document.version != 1 { problems.append(.init(path: "version", message: "unsupported version \(document.version) (this server reads version 1)")) }
        if document.tenants.isEmpty { problems.append(.init(path: "tenants", message: "no tenants")) }
        var seen: [String: Int] = [:]
        for (i, tenant) in document.tenants.enumerated() {
            if let first = seen[tenant.id] {
                problems.append(.init(path: "tenants[\(i)].id", message: "duplicate tenant id '\(tenant.id)' (also tenants[\(first)])"))
            } else {
                seen[tenant.id] = i
            }
            problems += validate(tenant, workflows: workflows).map { problem in
                var prefixed = problem
                prefixed.path = "tenants[\(i)]" + (problem.path.isEmpty ? "" : "." + problem.path)
                return prefixed
            }
        }
        return problems
    }

    /// One tenant's problems, paths starting at its fields. `workflows`, when given, are the workflow names that exist.
    public static func validate(_ tenant: TenantConfiguration, workflows: Set<String>? = nil) -> [ConfigurationProblem] {
        var check = Check(tenant: tenant, workflows: workflows)
        check.run()
        return check.problems
    }

    /// `^[a-z0-9][a-z0-9_.-]{0,63}$`: the ids of technicians, contact methods, schedules, policies, services, integrations.
    public static func isValidID(_ id: String) -> Bool {
        isWord(id, maxLength: 64, punctuation: "_.-")
    }

    /// `^[a-z0-9][a-z0-9-]{0,62}$`: tenant ids (they appear in URLs and host names).
    public static func isValidTenantID(_ id: String) -> Bool {
        isWord(id, maxLength: 63, punctuation: "-")
    }

    private static func isWord(_ id: String, maxLength: Int, punctuation: String) -> Bool {
        let scalars = Array(id.unicodeScalars)
        guard let first = scalars.first, scalars.count <= maxLength else { return false }
        func alphanumeric(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        return alphanumeric(first) && scalars.dropFirst().allSatisfy { alphanumeric($0) || punctuation.unicodeScalars.contains($0) }
    }

    /// Whether Foundation knows the IANA zone.
    public static func isKnownTimeZone(_ identifier: String) -> Bool {
        !identifier.isEmpty && TimeZone(identifier: identifier) != nil
    }
}

/// One pass over a tenant, noting problems.
private struct Check {
    let tenant: TenantConfiguration
    let workflows: Set<String>?
    var problems: [ConfigurationProblem] = []
    let technicianIDs: Set<String>
    let scheduleIDs: Set<String>
    let policyIDs: Set<String>
    let serviceIDs: Set<String>

    init(tenant: TenantConfiguration, workflows: Set<String>?) {
        self.tenant = tenant
        self.workflows = workflows
        technicianIDs = Set(tenant.technicians.map(\.id))
        scheduleIDs = Set(tenant.schedules.map(\.id))
        policyIDs = Set(tenant.escalationPolicies.map(\.id))
        serviceIDs = Set(tenant.services.map(\.id))
    }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(.init(path: path, message: message))
    }

    mutating func run() {
        if !ConfigurationValidator.isValidTenantID(tenant.id) {
            problem("id", "tenant id '\(tenant.id)' must be lowercase letters, digits and '-' (at most 63, starting with a letter or digit)")
        }
        name(tenant.name, "name")
        for source in Routes.Source.allCases {
            if let service = tenant.routes[source], !serviceIDs.contains(service) {
                problem("routes.\(source.rawValue)", "unknown service '\(service)'")
            }
        }
        ids(tenant.technicians.map(\.id), list: "technicians")
        ids(tenant.schedules.map(\.id), list: "schedules")
        ids(tenant.escalationPolicies.map(\.id), list: "escalation_policies")
        ids(tenant.services.map(\.id), list: "services")
        ids(tenant.integrations.map(\.id), list: "integrations")
        // Contact method ids are unique in the whole tenant, not only per technician.
        var methodPaths: [String: String] = [:]
        var hubUsers: [String: Int] = [:]
        var emails: [String: Int] = [:]
        for (i, technician) in tenant.technicians.enumerated() {
            for (j, method) in technician.contactMethods.enumerated() {
                let path = "technicians[\(i)].contact_methods[\(j)]"
                if let other = methodPaths[method.id] {
                    problem(path + ".id", "duplicate contact method id '\(method.id)' (also \(other))")
                } else {
                    methodPaths[method.id] = path
                }
            }
            if let hub = technician.hubUserID {
                if let other = hubUsers[hub] { problem("technicians[\(i)].hub_user_id", "hub_user_id '\(hub)' is also technicians[\(other)]'s") } else { hubUsers[hub] = i }
            }
            if let email = technician.email?.lowercased() {
                if let other = emails[email] { problem("technicians[\(i)].email", "email '\(email)' is also technicians[\(other)]'s") } else { emails[email] = i }
            }
            self.technician(technician, "technicians[\(i)]")
        }
        for (i, schedule) in tenant.schedules.enumerated() { self.schedule(schedule, "schedules[\(i)]") }
        for (i, policy) in tenant.escalationPolicies.enumerated() { self.policy(policy, "escalation_policies[\(i)]") }
        for (i, service) in tenant.services.enumerated() { self.service(service, "services[\(i)]") }
        for (i, integration) in tenant.integrations.enumerated() { self.integration(integration, "integrations[\(i)]") }
    }

    // MARK: Shared checks

    /// Id shape and duplicates within one list.
    mutating func ids(_ ids: [String], list: String) {
        var seen: [String: Int] = [:]
        for (i, id) in ids.enumerated() {
            let path = "\(list)[\(i)].id"
            if !ConfigurationValidator.isValidID(id) {
                problem(path, id.isEmpty ? "missing id" : "id '\(id)' must be lowercase letters, digits, '_', '.' and '-' (at most 64, starting with a letter or digit)")
            }
            if let first = seen[id] {
                problem(path, "duplicate id '\(id)' (also \(list)[\(first)])")
            } else {
                seen[id] = i
            }
        }
    }

    mutating func name(_ name: String, _ path: String) {
        if name.allSatisfy(\.isWhitespace) { problem(path, "name must not be empty") }
    }

    mutating func timeZone(_ zone: String, _ path: String) {
        if !ConfigurationValidator.isKnownTimeZone(zone) { problem(path, "unknown time zone '\(zone)' (expected an IANA name like Europe/Paris)") }
    }

    mutating func technicianExists(_ id: String, _ path: String) {
        if !technicianIDs.contains(id) { problem(path, "unknown technician '\(id)'") }
    }

    // MARK: Technicians

    mutating func technician(_ technician: Technician, _ path: String) {
        name(technician.name, path + ".name")
        if let email = technician.email, !Self.looksLikeMailbox(email) { problem(path + ".email", "not an email address: '\(email)'") }
        if let hub = technician.hubUserID, hub.isEmpty { problem(path + ".hub_user_id", "hub_user_id must not be empty (leave it out instead)") }
        if let zone = technician.timeZone { timeZone(zone, path + ".time_zone") }
        var methodIDs: [String: Int] = [:]
        for (j, method) in technician.contactMethods.enumerated() {
            let methodPath = "\(path).contact_methods[\(j)]"
            if !ConfigurationValidator.isValidID(method.id) {
                problem(methodPath + ".id", method.id.isEmpty ? "missing id" : "id '\(method.id)' must be lowercase letters, digits, '_', '.' and '-' (at most 64, starting with a letter or digit)")
            }
            methodIDs[method.id] = methodIDs[method.id] ?? j
            contactAddress(method, methodPath + "." + method.type.addressKey)
        }
        for (k, rule) in technician.notificationRules.enumerated() {
            let rulePath = "\(path).notification_rules[\(k)]"
            if methodIDs[rule.contactMethod] == nil {
                let own = technician.contactMethods.map(\.id)
                problem(rulePath + ".contact_method", "unknown contact method '\(rule.contactMethod)' (\(technician.id)'s: \(own.isEmpty ? "none" : own.joined(separator: ", ")))")
            }
            if rule.delay < .zero { problem(rulePath + ".delay", "delay must not be negative") }
        }
    }

    mutating func contactAddress(_ method: ContactMethod, _ path: String) {
        let address = method.address
        guard !address.allSatisfy(\.isWhitespace) else {
            problem(path, "\(method.type.addressKey) must not be empty")
            return
        }
        switch method.type {
        case .webhook, .slack, .teams:
            let lower = address.lowercased()
            let host = lower.hasPrefix("https://") ? lower.dropFirst(8) : lower.hasPrefix("http://") ? lower.dropFirst(7) : ""
            if host.isEmpty || address.contains(where: \.isWhitespace) {
                problem(path, "not a URL (expected http://… or https://…)")
            }
        case .sms:
            let digits = address.dropFirst()
            if !address.hasPrefix("+") || digits.count < 6 || digits.count > 15 || !digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                problem(path, "not a phone number (expected + and the international number, like +33612345678)")
            }
        case .email:
            if !Self.looksLikeMailbox(address) { problem(path, "not an email address (expected name@domain)") }
        }
    }

    static func looksLikeMailbox(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(where: \.isWhitespace)
    }

    // MARK: Schedules

    mutating func schedule(_ schedule: Schedule, _ path: String) {
        name(schedule.name, path + ".name")
        timeZone(schedule.timeZone, path + ".time_zone")
        for (i, layer) in schedule.layers.enumerated() {
            let layerPath = "\(path).layers[\(i)]"
            name(layer.name, layerPath + ".name")
            if case .every(let length) = layer.rotation, length <= .zero {
                problem(layerPath + ".rotation.every", "a rotation must last longer than 0s")
            }
            if layer.members.isEmpty { problem(layerPath + ".members", "members must not be empty") }
            for (m, member) in layer.members.enumerated() { technicianExists(member, "\(layerPath).members[\(m)]") }
            for (r, restriction) in layer.restrictions.enumerated() {
                let restrictionPath = "\(layerPath).restrictions[\(r)]"
                if restriction.days.isEmpty { problem(restrictionPath + ".days", "days must not be empty") }
                if restriction.from.hour == 24 { problem(restrictionPath + ".from", "from must be before 24:00 (use 00:00 for the start of a day)") }
            }
        }
        for (i, override) in schedule.overrides.enumerated() {
            let overridePath = "\(path).overrides[\(i)]"
            technicianExists(override.technician, overridePath + ".technician")
            if override.end <= override.start {
                problem(overridePath + ".end", "end must be after start")
                continue
            }
            for (j, earlier) in schedule.overrides[..<i].enumerated() where earlier.start < earlier.end {
                if override.start < earlier.end && earlier.start < override.end {
                    problem(overridePath, "overlaps override \(j)")
                }
            }
        }
    }

    // MARK: Escalation policies

    mutating func policy(_ policy: EscalationPolicy, _ path: String) {
        name(policy.name, path + ".name")
        if !(0...20).contains(policy.repeatCount) { problem(path + ".repeat", "repeat must be from 0 to 20") }
        if policy.layers.isEmpty { problem(path + ".layers", "layers must not be empty") }
        for (i, layer) in policy.layers.enumerated() {
            let layerPath = "\(path).layers[\(i)]"
            if layer.delay < .seconds(1) { problem(layerPath + ".delay", "delay must be at least 1s") }
            if layer.targets.isEmpty { problem(layerPath + ".targets", "targets must not be empty") }
            for (t, target) in layer.targets.enumerated() {
                let known = switch target {
                case .technician(let id): technicianIDs.contains(id)
                case .schedule(let id): scheduleIDs.contains(id)
                }
                if !known { problem("\(layerPath).targets[\(t)].\(target.kind)", "unknown \(target.kind) '\(target.id)'") }
            }
        }
    }

    // MARK: Services and integrations

    mutating func service(_ service: Service, _ path: String) {
        name(service.name, path + ".name")
        if !policyIDs.contains(service.escalationPolicy) {
            problem(path + ".escalation_policy", "unknown escalation policy '\(service.escalationPolicy)'")
        }
        if service.workflow.isEmpty {
            problem(path + ".workflow", "workflow must not be empty")
        } else if let workflows, !workflows.contains(service.workflow) {
            problem(path + ".workflow", "unknown workflow '\(service.workflow)' (known: \(workflows.sorted().joined(separator: ", ")))")
        }
        if let timeout = service.ackTimeout, timeout <= .zero { problem(path + ".ack_timeout", "ack_timeout must be longer than 0s") }
        if let resolve = service.autoResolve, resolve <= .zero { problem(path + ".auto_resolve", "auto_resolve must be longer than 0s") }
        for (i, window) in service.maintenanceWindows.enumerated() {
            let windowPath = "\(path).maintenance_windows[\(i)]"
            if window.end <= window.start { problem(windowPath + ".end", "end must be after start") }
            timeZone(window.timeZone, windowPath + ".time_zone")
        }
    }

    mutating func integration(_ integration: Integration, _ path: String) {
        if integration.type.needsService {
            if let service = integration.service {
                if !serviceIDs.contains(service) { problem(path + ".service", "unknown service '\(service)'") }
            } else {
                problem(path + ".service", "\(ConfigurationReader.withArticle(integration.type.rawValue)) integration needs a service (where its alerts open incidents)")
            }
        } else if integration.service != nil {
            problem(path + ".service", "a bridge integration takes no service (it is a read-only key)")
        }
        if let key = integration.key, key.count < 16 { problem(path + ".key", "key must be at least 16 characters") }
        if integration.grouping != nil, ![.alertmanager, .grafana].contains(integration.type) {
            problem(path + ".grouping", "grouping applies to alertmanager and grafana integrations only")
        }
        if let rate = integration.ratePerSecond, !(1...100_000).contains(rate) { problem(path + ".rate_per_second", "must be between 1 and 100000") }
        if let burst = integration.burst, !(1...1_000_000).contains(burst) { problem(path + ".burst", "must be between 1 and 1000000") }
        if integration.type == .heartbeat {
            if let interval = integration.interval {
                if interval < .seconds(1) { problem(path + ".interval", "must be at least 1s") }
            } else {
                problem(path + ".interval", "a heartbeat needs an interval (the longest expected gap between check-ins, e.g. 1d)")
            }
            if let grace = integration.grace, grace < .zero { problem(path + ".grace", "must not be negative") }
        } else {
            if integration.interval != nil { problem(path + ".interval", "interval applies to heartbeat integrations only") }
            if integration.grace != nil { problem(path + ".grace", "grace applies to heartbeat integrations only") }
        }
    }
}
