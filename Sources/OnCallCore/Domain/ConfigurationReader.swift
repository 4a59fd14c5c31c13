import Yams

/// Turns YAML nodes (JSON is YAML too) into configuration values, noting every problem with its path and line.
///
/// A reader function returns nil when the value cannot be built, having noted at least one problem; a value it returns
/// is only good when no problem was noted at all. Every field is read even after one fails, so all problems are reported.
struct ConfigurationReader {
    var problems: [ConfigurationProblem] = []
    /// The line of every key and list item read, by path: validation problems are traced back to lines with it.
    var lines: [String: Int] = [:]

    // MARK: Text

    /// The root node of `text`, or the syntax problem.
    static func root(of text: String) -> Result<Node, InvalidConfiguration> {
        do {
            guard let node = try Yams.compose(yaml: jsonSurrogatesJoined(text)) else {
                return .failure(InvalidConfiguration(problems: [.init(path: "", line: 1, message: "the text is empty")]))
            }
            return .success(node)
        } catch let error as YamlError {
            let (line, message) = describe(error)
            // libyaml places an error at the end of the text on the line after the last one.
            let newlines = text.utf8.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            let lastLine = max(1, newlines + (text.utf8.last == UInt8(ascii: "\n") ? 0 : 1))
            return .failure(InvalidConfiguration(problems: [.init(path: "", line: min(line, lastLine), message: message)]))
        } catch {
            return .failure(InvalidConfiguration(problems: [.init(path: "", line: 1, message: "not valid YAML: \(error)")]))
        }
    }

    /// JSON writes a character outside the BMP as two `\u` escapes (a surrogate pair; Python does by default), which
    /// YAML refuses; in a JSON text (starting with `{` or `[`) each pair becomes YAML's `\UXXXXXXXX`.
    static func jsonSurrogatesJoined(_ text: String) -> String {
        guard let first = text.unicodeScalars.first(where: { $0 != "\u{FEFF}" && !$0.properties.isWhitespace }), first == "{" || first == "[",
              text.contains("\\u") else { return text }
        let scalars = Array(text.unicodeScalars)
        func hex(_ at: Int) -> UInt32? {
            guard at + 6 <= scalars.count, scalars[at] == "\\", scalars[at + 1] == "u" else { return nil }
            return UInt32(String(String.UnicodeScalarView(scalars[(at + 2)..<(at + 6)])), radix: 16)
        }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\\", i + 1 < scalars.count {
                if let high = hex(i), (0xD800...0xDBFF).contains(high), let low = hex(i + 6), (0xDC00...0xDFFF).contains(low) {
                    let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    let digits = String(value, radix: 16, uppercase: true)
                    out.append(contentsOf: ("\\U" + String(repeating: "0", count: 8 - digits.count) + digits).unicodeScalars)
                    i += 12
                } else {
                    out.append(scalars[i])
                    out.append(scalars[i + 1])
                    i += 2
                }
                continue
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }

    private static func describe(_ error: YamlError) -> (line: Int, message: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = [context.map { "\($0.text) (line \($0.mark.line))" }, problem].compactMap { $0 }.joined(separator: ": ")
            return (mark.line, "not valid YAML: \(detail)")
        case .reader(let problem, _, _, _):
            return (1, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return (context.mark.line, "duplicate key \(keys) in one mapping")
        default:
            return (1, "not valid YAML: \(error)")
        }
    }

    // MARK: Problems and paths

    /// `a webhook`, `an sms`, `an icinga`: for messages that name a kind.
    static func withArticle(_ word: String) -> String {
        let vowelSound = word == "sms" || word.first.map { "aeiou".contains($0) } == true
        return (vowelSound ? "an " : "a ") + word
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
    static func index(_ path: String, _ i: Int) -> String { path + "[\(i)]" }

    mutating func problem(_ path: String, _ node: Node?, _ message: String) {
        problems.append(.init(path: path, line: node?.mark?.line, message: message))
    }

    mutating func problem(_ path: String, line: Int?, _ message: String) {
        problems.append(.init(path: path, line: line, message: message))
    }

    // MARK: Mappings

    /// The keys of one mapping, checked against the allowed ones.
    struct Fields {
        let path: String
        let line: Int?
        var nodes: [String: Node]
        subscript(key: String) -> Node? { nodes[key] }
    }

    /// The mapping's fields; unknown keys are problems (typos must not pass silently). `extra` keys are let through for
    /// the caller to judge (the address keys of a contact method).
    mutating func fields(_ node: Node, _ path: String, allowed: [String], extra: [String] = [], what: String) -> Fields? {
        guard let mapping = node.mapping else {
            problem(path, node, "expected \(what) (a mapping with keys \(allowed.joined(separator: ", ")))")
            return nil
        }
        lines[path] = lines[path] ?? node.mark?.line
        var nodes: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                problem(path, key, "keys must be plain words")
                continue
            }
            let keyPath = Self.join(path, name)
            guard allowed.contains(name) || extra.contains(name) else {
                problem(keyPath, key, "unknown key '\(name)' (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            nodes[name] = value
            lines[keyPath] = key.mark?.line
        }
        return Fields(path: path, line: node.mark?.line, nodes: nodes)
    }

    /// A field's value converted by `convert`. Absent or null: nil, and a problem when `required`.
    mutating func field<T>(
        _ fields: Fields, _ key: String, required: Bool = true, _ convert: (inout ConfigurationReader, Node, String) -> T?
    ) -> T? {
        let path = Self.join(fields.path, key)
        guard let node = fields[key] else {
            if required { problem(path, line: fields.line, "missing required key '\(key)'") }
            return nil
        }
        if node.null != nil {
            if required { problem(path, node, "'\(key)' needs a value") }
            return nil
        }
        return convert(&self, node, path)
    }

    /// The `id` field; when ids are not required (the admin API creating an object), a missing id reads as "".
    mutating func id(_ fields: Fields, required: Bool) -> String? {
        if !required && (fields["id"] == nil || fields["id"]?.null != nil) { return "" }
        return field(fields, "id") { $0.text($1, $2) }
    }

    /// A list field: absent or null is an empty list; each item is read at `path[i]`. Nil when any item fails.
    mutating func list<T>(_ fields: Fields, _ key: String, _ item: (inout ConfigurationReader, Node, String) -> T?) -> [T]? {
        guard let node = fields[key], node.null == nil else { return [] }
        return list(node, Self.join(fields.path, key), item)
    }

    mutating func list<T>(_ node: Node, _ path: String, _ item: (inout ConfigurationReader, Node, String) -> T?) -> [T]? {
        guard let sequence = node.sequence else {
            problem(path, node, "expected a list")
            return nil
        }
        var result: [T] = []
        var failed = false
        for (i, element) in sequence.enumerated() {
            let elementPath = Self.index(path, i)
            lines[elementPath] = element.mark?.line
            if let value = item(&self, element, elementPath) { result.append(value) } else { failed = true }
        }
        return failed ? nil : result
    }

    // MARK: Scalars

    mutating func text(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar, node.null == nil else {
            problem(path, node, "expected text")
            return nil
        }
        // PostgreSQL text cannot hold it; a configuration never needs it.
        guard !scalar.string.utf8.contains(0) else {
            problem(path, node, "must not contain a NUL character")
            return nil
        }
        return scalar.string
    }

    mutating func wholeNumber(_ node: Node, _ path: String) -> Int? {
        guard let value = node.int else {
            problem(path, node, "expected a whole number")
            return nil
        }
        return value
    }

    mutating func flag(_ node: Node, _ path: String) -> Bool? {
        guard let value = node.bool else {
            problem(path, node, "expected true or false")
            return nil
        }
        return value
    }

    mutating func choice<E: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, _ what: String) -> E? where E.RawValue == String {
        guard let word = text(node, path) else { return nil }
        guard let value = E(rawValue: word) else {
            problem(path, node, "unknown \(what) '\(word)' (expected one of: \(E.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        return value
    }

    /// A duration (`30s`, `5m`, `2h`, `1d`, `1h30m`); a leading `-` is read so the validator can say it is negative.
    mutating func duration(_ node: Node, _ path: String) -> Duration? {
        guard let word = text(node, path) else { return nil }
        guard let value = Self.signedDuration(word) else {
            problem(path, node, "not a duration (expected 30s, 5m, 2h, 1d)")
            return nil
        }
        return value
    }

    static func signedDuration(_ text: String) -> Duration? {
        let trimmed = text.filter { !$0.isWhitespace }
        if trimmed == "0" { return .zero }
        if trimmed.hasPrefix("-") { return DurationText.parse(String(trimmed.dropFirst())).map { .zero - $0 } }
        return DurationText.parse(trimmed)
    }

    mutating func localDateTime(_ node: Node, _ path: String) -> LocalDateTime? {
        guard let word = text(node, path) else { return nil }
        guard let value = LocalDateTime(word) else {
            problem(path, node, "not a local date-time (expected 2026-11-02T09:00)")
            return nil
        }
        return value
    }

    mutating func localTime(_ node: Node, _ path: String) -> LocalTime? {
        guard let word = text(node, path) else { return nil }
        guard let value = LocalTime(word) else {
            problem(path, node, "not a time of day (expected 08:00; 24:00 is the end of the day)")
            return nil
        }
        return value
    }

    // MARK: The document

    mutating func document(_ node: Node, _ path: String) -> ConfigurationDocument? {
        guard let f = fields(node, path, allowed: ["version", "tenants"], what: "a configuration document") else { return nil }
        let version = field(f, "version") { reader, node, path -> Int? in
            guard let number = reader.wholeNumber(node, path) else { return nil }
            guard number == 1 else {
                reader.problem(path, node, "unsupported version \(number) (this server reads version 1)")
                return nil
            }
            return number
        }
        let tenants = field(f, "tenants") { reader, node, path in
            reader.list(node, path) { $0.tenant($1, $2, idRequired: true) }
        }
        guard let version, let tenants else { return nil }
        return ConfigurationDocument(version: version, tenants: tenants)
    }

    mutating func tenant(_ node: Node, _ path: String, idRequired: Bool) -> TenantConfiguration? {
        let keys = ["id", "name", "routes", "settings", "technicians", "schedules", "escalation_policies", "services", "integrations"]
        guard let f = fields(node, path, allowed: keys, what: "a tenant") else { return nil }
        let settings = field(f, "settings", required: false) { $0.settings($1, $2) }
        let id = id(f, required: idRequired)
        let name = field(f, "name") { $0.text($1, $2) }
        let routes = field(f, "routes", required: false) { $0.routes($1, $2) }
        let technicians = list(f, "technicians") { $0.technician($1, $2, idRequired: true) }
        let schedules = list(f, "schedules") { $0.schedule($1, $2, idRequired: true) }
        let policies = list(f, "escalation_policies") { $0.escalationPolicy($1, $2, idRequired: true) }
        let services = list(f, "services") { $0.service($1, $2, idRequired: true) }
        let integrations = list(f, "integrations") { $0.integration($1, $2, idRequired: true) }
        guard let id, let name, let technicians, let schedules, let policies, let services, let integrations else { return nil }
        return TenantConfiguration(
            id: id, name: name, routes: routes ?? Routes(), technicians: technicians, schedules: schedules,
            escalationPolicies: policies, services: services, integrations: integrations, settings: settings ?? TenantSettings()
        )
    }

    mutating func settings(_ node: Node, _ path: String) -> TenantSettings? {
        guard let f = fields(node, path, allowed: ["rmm_min_severity"], what: "tenant settings") else { return nil }
        let rmm: Severity? = field(f, "rmm_min_severity", required: false) { $0.choice($1, $2, "severity") }
        return TenantSettings(rmmMinimumSeverity: rmm ?? .critical)
    }

    mutating func routes(_ node: Node, _ path: String) -> Routes? {
        guard let f = fields(node, path, allowed: Routes.Source.allCases.map(\.rawValue), what: "routes") else { return nil }
        var routes = Routes()
        var failed = false
        for source in Routes.Source.allCases {
            guard let node = f[source.rawValue], node.null == nil else { continue }
            if let service = text(node, Self.join(path, source.rawValue)) { routes[source] = service } else { failed = true }
        }
        return failed ? nil : routes
    }

    // MARK: Technicians

    mutating func technician(_ node: Node, _ path: String, idRequired: Bool) -> Technician? {
        let keys = ["id", "name", "email", "hub_user_id", "role", "time_zone", "contact_methods", "notification_rules"]
        guard let f = fields(node, path, allowed: keys, what: "a technician") else { return nil }
        let id = id(f, required: idRequired)
        let name = field(f, "name") { $0.text($1, $2) }
        let email = field(f, "email", required: false) { $0.text($1, $2) }
        let hubUserID = field(f, "hub_user_id", required: false) { $0.text($1, $2) }
        let role: HubRole? = field(f, "role", required: false) { $0.choice($1, $2, "role") }
        let timeZone = field(f, "time_zone", required: false) { $0.text($1, $2) }
        let methods = list(f, "contact_methods") { $0.contactMethod($1, $2, idRequired: true) }
        let rules = list(f, "notification_rules") { $0.notificationRule($1, $2) }
        guard let id, let name, let methods, let rules else { return nil }
        return Technician(
            id: id, name: name, email: email, hubUserID: hubUserID, role: role ?? .member, timeZone: timeZone,
            contactMethods: methods, notificationRules: rules
        )
    }

    mutating func contactMethod(_ node: Node, _ path: String, idRequired: Bool) -> ContactMethod? {
        let addressKeys = ["url", "to", "address"]
        guard let f = fields(node, path, allowed: ["id", "type"], extra: addressKeys, what: "a contact method") else { return nil }
        let id = id(f, required: idRequired)
        let type: ContactMethod.Kind? = field(f, "type") { $0.choice($1, $2, "contact method type") }
        guard let type else { return nil }
        let misplaced = addressKeys.filter { $0 != type.addressKey && f[$0] != nil }
        for key in misplaced {
            problem(Self.join(path, key), f[key], "\(Self.withArticle(type.rawValue)) contact method takes '\(type.addressKey)', not '\(key)'")
        }
        let address = field(f, type.addressKey, required: misplaced.isEmpty) { $0.text($1, $2) }
        guard let id, let address else { return nil }
        return ContactMethod(id: id, type: type, address: address)
    }

    mutating func notificationRule(_ node: Node, _ path: String) -> NotificationRule? {
        guard let f = fields(node, path, allowed: ["contact_method", "delay"], what: "a notification rule") else { return nil }
        let method = field(f, "contact_method") { $0.text($1, $2) }
        let delay = field(f, "delay") { $0.duration($1, $2) }
        guard let method, let delay else { return nil }
        return NotificationRule(contactMethod: method, delay: delay)
    }

    // MARK: Schedules

    mutating func schedule(_ node: Node, _ path: String, idRequired: Bool) -> Schedule? {
        guard let f = fields(node, path, allowed: ["id", "name", "time_zone", "layers", "overrides"], what: "a schedule") else { return nil }
        let id = id(f, required: idRequired)
        let name = field(f, "name") { $0.text($1, $2) }
        let timeZone = field(f, "time_zone") { $0.text($1, $2) }
        let layers = list(f, "layers") { $0.scheduleLayer($1, $2) }
        let overrides = list(f, "overrides") { $0.scheduleOverride($1, $2) }
        guard let id, let name, let timeZone, let layers, let overrides else { return nil }
        return Schedule(id: id, name: name, timeZone: timeZone, layers: layers, overrides: overrides)
    }

    mutating func scheduleLayer(_ node: Node, _ path: String) -> ScheduleLayer? {
        let keys = ["name", "rotation", "handoff", "members", "restrictions"]
        guard let f = fields(node, path, allowed: keys, what: "a schedule layer") else { return nil }
        let name = field(f, "name") { $0.text($1, $2) }
        let rotation = field(f, "rotation") { $0.rotation($1, $2) }
        let handoff = field(f, "handoff") { $0.localDateTime($1, $2) }
        let members = field(f, "members") { reader, node, path in reader.list(node, path) { $0.text($1, $2) } }
        let restrictions = list(f, "restrictions") { $0.restriction($1, $2) }
        guard let name, let rotation, let handoff, let members, let restrictions else { return nil }
        return ScheduleLayer(name: name, rotation: rotation, handoff: handoff, members: members, restrictions: restrictions)
    }

    mutating func rotation(_ node: Node, _ path: String) -> Rotation? {
        if node.mapping != nil {
            guard let f = fields(node, path, allowed: ["every"], what: "a rotation") else { return nil }
            return field(f, "every") { $0.duration($1, $2) }.map { .every($0) }
        }
        guard let word = text(node, path) else { return nil }
        switch word {
        case "hourly": return .hourly
        case "daily": return .daily
        case "weekly": return .weekly
        default:
            problem(path, node, "unknown rotation '\(word)' (expected hourly, daily, weekly or { every: 12h })")
            return nil
        }
    }

    mutating func restriction(_ node: Node, _ path: String) -> Restriction? {
        guard let f = fields(node, path, allowed: ["days", "from", "to"], what: "a restriction") else { return nil }
        let days = field(f, "days") { reader, node, path in
            reader.list(node, path) { (reader: inout ConfigurationReader, node, path) -> Weekday? in reader.choice(node, path, "day") }
        }
        let from = field(f, "from") { $0.localTime($1, $2) }
        let to = field(f, "to") { $0.localTime($1, $2) }
        guard let days, let from, let to else { return nil }
        return Restriction(days: Set(days), from: from, to: to)
    }

    mutating func scheduleOverride(_ node: Node, _ path: String) -> ScheduleOverride? {
        guard let f = fields(node, path, allowed: ["technician", "start", "end"], what: "an override") else { return nil }
        let technician = field(f, "technician") { $0.text($1, $2) }
        let start = field(f, "start") { $0.localDateTime($1, $2) }
        let end = field(f, "end") { $0.localDateTime($1, $2) }
        guard let technician, let start, let end else { return nil }
        return ScheduleOverride(technician: technician, start: start, end: end)
    }

    // MARK: Escalation policies

    mutating func escalationPolicy(_ node: Node, _ path: String, idRequired: Bool) -> EscalationPolicy? {
        guard let f = fields(node, path, allowed: ["id", "name", "repeat", "layers"], what: "an escalation policy") else { return nil }
        let id = id(f, required: idRequired)
        let name = field(f, "name") { $0.text($1, $2) }
        let repeatCount = field(f, "repeat", required: false) { $0.wholeNumber($1, $2) }
        let layers = field(f, "layers") { reader, node, path in reader.list(node, path) { $0.escalationLayer($1, $2) } }
        guard let id, let name, let layers else { return nil }
        return EscalationPolicy(id: id, name: name, repeatCount: repeatCount ?? 0, layers: layers)
    }

    mutating func escalationLayer(_ node: Node, _ path: String) -> EscalationLayer? {
        guard let f = fields(node, path, allowed: ["delay", "targets"], what: "an escalation layer") else { return nil }
        let delay = field(f, "delay") { $0.duration($1, $2) }
        let targets = field(f, "targets") { reader, node, path in reader.list(node, path) { $0.escalationTarget($1, $2) } }
        guard let delay, let targets else { return nil }
        return EscalationLayer(delay: delay, targets: targets)
    }

    mutating func escalationTarget(_ node: Node, _ path: String) -> EscalationTarget? {
        guard let f = fields(node, path, allowed: ["schedule", "technician"], what: "a target ({ schedule: ID } or { technician: ID })") else { return nil }
        guard f.nodes.count == 1, let kind = f.nodes.keys.first else {
            if f.nodes.count > 1 { problem(path, node, "a target names one schedule or one technician, not both") }
            if node.mapping?.isEmpty == true { problem(path, node, "a target is { schedule: ID } or { technician: ID }") }
            return nil
        }
        guard let id = field(f, kind, { $0.text($1, $2) }) else { return nil }
        return kind == "schedule" ? .schedule(id) : .technician(id)
    }

    // MARK: Services and integrations

    mutating func service(_ node: Node, _ path: String, idRequired: Bool) -> Service? {
        let keys = ["id", "name", "escalation_policy", "workflow", "ack_timeout", "auto_resolve", "page_low_severity", "maintenance_windows"]
        guard let f = fields(node, path, allowed: keys, what: "a service") else { return nil }
        let id = id(f, required: idRequired)
        let name = field(f, "name") { $0.text($1, $2) }
        let policy = field(f, "escalation_policy") { $0.text($1, $2) }
        let workflow = field(f, "workflow", required: false) { $0.text($1, $2) }
        let ackTimeout = field(f, "ack_timeout", required: false) { $0.duration($1, $2) }
        let autoResolve = field(f, "auto_resolve", required: false) { $0.duration($1, $2) }
        let pageLow = field(f, "page_low_severity", required: false) { $0.flag($1, $2) }
        let windows = list(f, "maintenance_windows") { $0.maintenanceWindow($1, $2) }
        guard let id, let name, let policy, let windows else { return nil }
        return Service(
            id: id, name: name, escalationPolicy: policy, workflow: workflow ?? "incident", ackTimeout: ackTimeout,
            autoResolve: autoResolve, pageLowSeverity: pageLow ?? false, maintenanceWindows: windows
        )
    }

    mutating func maintenanceWindow(_ node: Node, _ path: String) -> MaintenanceWindow? {
        guard let f = fields(node, path, allowed: ["start", "end", "time_zone"], what: "a maintenance window") else { return nil }
        let start = field(f, "start") { $0.localDateTime($1, $2) }
        let end = field(f, "end") { $0.localDateTime($1, $2) }
        let timeZone = field(f, "time_zone") { $0.text($1, $2) }
        guard let start, let end, let timeZone else { return nil }
        return MaintenanceWindow(start: start, end: end, timeZone: timeZone)
    }

    mutating func integration(_ node: Node, _ path: String, idRequired: Bool) -> Integration? {
        let keys = ["id", "type", "service", "key", "grouping", "rate_per_second", "burst", "interval", "grace"]
        guard let f = fields(node, path, allowed: keys, what: "an integration") else { return nil }
        let id = id(f, required: idRequired)
        let type: Integration.Kind? = field(f, "type") { $0.choice($1, $2, "integration type") }
        let service = field(f, "service", required: false) { $0.text($1, $2) }
        let key = field(f, "key", required: false) { $0.text($1, $2) }
        let grouping: Integration.Grouping? = field(f, "grouping", required: false) { $0.choice($1, $2, "grouping") }
        let rate = field(f, "rate_per_second", required: false) { $0.wholeNumber($1, $2) }
        let burst = field(f, "burst", required: false) { $0.wholeNumber($1, $2) }
        let interval = field(f, "interval", required: false) { $0.duration($1, $2) }
        let grace = field(f, "grace", required: false) { $0.duration($1, $2) }
        guard let id, let type else { return nil }
        return Integration(
            id: id, type: type, service: service, key: key, grouping: grouping, ratePerSecond: rate, burst: burst, interval: interval, grace: grace
        )
    }
}
