import Yams

/// Reads and writes configuration as code: the file `oncall apply` takes (YAML, format version 1) and the bodies of the
/// admin API (JSON, which is YAML too), with the same snake_case keys and shapes.
///
/// Pure: callers pass text. Decoding collects every problem (unknown keys, wrong shapes, bad durations and date-times),
/// each with its field path and line; the semantic checks (references, ids, time zones) are ``ConfigurationValidator``'s.
/// Paths of a single object start at its own fields (`layers[0].members[2]`).
public enum ConfigurationCodec {
    // MARK: Decoding

    /// A whole configuration file: `version: 1` and `tenants`. Shapes only; see ``loadDocument(_:)`` for the checked form.
    public static func decodeDocument(_ text: String) throws(InvalidConfiguration) -> ConfigurationDocument {
        try decode(text) { $0.document($1, "") }.value
    }

    /// A configuration file decoded and validated (``ConfigurationValidator``): what `oncall apply` uses. Validation
    /// problems carry the line of the field they are about. `workflows`, when given, are the workflow names that exist.
    public static func loadDocument(_ text: String, workflows: Set<String>? = nil) throws(InvalidConfiguration) -> ConfigurationDocument {
        let (document, lines) = try decode(text) { $0.document($1, "") }
        let problems = ConfigurationValidator.validate(document, workflows: workflows)
        guard problems.isEmpty else {
            throw InvalidConfiguration(problems: problems.map { problem in
                var located = problem
                located.line = problem.line ?? line(of: problem.path, in: lines)
                return located
            })
        }
        return document
    }

    /// One tenant. With `idRequired: false` (creating through the admin API) a missing `id` decodes as "" for the caller
    /// to fill in; the ids of the objects inside are always required.
    public static func decode(_ type: TenantConfiguration.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> TenantConfiguration {
        try decode(text) { $0.tenant($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: Technician.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> Technician {
        try decode(text) { $0.technician($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: ContactMethod.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> ContactMethod {
        try decode(text) { $0.contactMethod($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: NotificationRule.Type, from text: String) throws(InvalidConfiguration) -> NotificationRule {
        try decode(text) { $0.notificationRule($1, "") }.value
    }

    public static func decode(_ type: Schedule.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> Schedule {
        try decode(text) { $0.schedule($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: ScheduleLayer.Type, from text: String) throws(InvalidConfiguration) -> ScheduleLayer {
        try decode(text) { $0.scheduleLayer($1, "") }.value
    }

    public static func decode(_ type: ScheduleOverride.Type, from text: String) throws(InvalidConfiguration) -> ScheduleOverride {
        try decode(text) { $0.scheduleOverride($1, "") }.value
    }

    public static func decode(_ type: EscalationPolicy.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> EscalationPolicy {
        try decode(text) { $0.escalationPolicy($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: Service.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> Service {
        try decode(text) { $0.service($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: MaintenanceWindow.Type, from text: String) throws(InvalidConfiguration) -> MaintenanceWindow {
        try decode(text) { $0.maintenanceWindow($1, "") }.value
    }

    public static func decode(_ type: Integration.Type, from text: String, idRequired: Bool = true) throws(InvalidConfiguration) -> Integration {
        try decode(text) { $0.integration($1, "", idRequired: idRequired) }.value
    }

    public static func decode(_ type: Routes.Type, from text: String) throws(InvalidConfiguration) -> Routes {
        try decode(text) { $0.routes($1, "") }.value
    }

    public static func decode(_ type: TenantSettings.Type, from text: String) throws(InvalidConfiguration) -> TenantSettings {
        try decode(text) { $0.settings($1, "") }.value
    }

    private static func decode<T>(
        _ text: String, _ read: (inout ConfigurationReader, Node) -> T?
    ) throws(InvalidConfiguration) -> (value: T, lines: [String: Int]) {
        let root = try ConfigurationReader.root(of: text).get()
        var reader = ConfigurationReader()
        let value = read(&reader, root)
        guard reader.problems.isEmpty, let value else {
            throw InvalidConfiguration(problems: reader.problems.sorted { ($0.line ?? 0) < ($1.line ?? 0) })
        }
        return (value, reader.lines)
    }

    /// The line of `path`, or of the nearest enclosing field that has one.
    private static func line(of path: String, in lines: [String: Int]) -> Int? {
        var path = Substring(path)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = path[..<cut]
        }
        return nil
    }

    // MARK: Encoding

    /// JSON with the file's keys, in the file's order (compact, or indented when `pretty`): what the admin API returns
    /// and accepts. Absent optional fields are `null`; durations read `5m`, date-times `2026-11-02T09:00`.
    public static func json(_ document: ConfigurationDocument, pretty: Bool = false) -> String { ConfigurationWriter.document(document).json(pretty: pretty) }
    public static func json(_ tenant: TenantConfiguration, pretty: Bool = false) -> String { ConfigurationWriter.tenant(tenant).json(pretty: pretty) }
    public static func json(_ technician: Technician, pretty: Bool = false) -> String { ConfigurationWriter.technician(technician).json(pretty: pretty) }
    public static func json(_ method: ContactMethod, pretty: Bool = false) -> String { ConfigurationWriter.contactMethod(method).json(pretty: pretty) }
    public static func json(_ rule: NotificationRule, pretty: Bool = false) -> String { ConfigurationWriter.notificationRule(rule).json(pretty: pretty) }
    public static func json(_ schedule: Schedule, pretty: Bool = false) -> String { ConfigurationWriter.schedule(schedule).json(pretty: pretty) }
    public static func json(_ layer: ScheduleLayer, pretty: Bool = false) -> String { ConfigurationWriter.scheduleLayer(layer).json(pretty: pretty) }
    public static func json(_ override: ScheduleOverride, pretty: Bool = false) -> String { ConfigurationWriter.scheduleOverride(override).json(pretty: pretty) }
    public static func json(_ policy: EscalationPolicy, pretty: Bool = false) -> String { ConfigurationWriter.escalationPolicy(policy).json(pretty: pretty) }
    public static func json(_ service: Service, pretty: Bool = false) -> String { ConfigurationWriter.service(service).json(pretty: pretty) }
    public static func json(_ window: MaintenanceWindow, pretty: Bool = false) -> String { ConfigurationWriter.maintenanceWindow(window).json(pretty: pretty) }
    /// Never includes the key.
    public static func json(_ integration: Integration, pretty: Bool = false) -> String { ConfigurationWriter.integration(integration).json(pretty: pretty) }
    public static func json(_ routes: Routes, pretty: Bool = false) -> String { ConfigurationWriter.routes(routes).json(pretty: pretty) }
    public static func json(_ settings: TenantSettings, pretty: Bool = false) -> String { ConfigurationWriter.settings(settings).json(pretty: pretty) }

    /// The file format itself, block style, absent optional fields left out: for `oncall apply --dry-run` diffs and
    /// exports. Reads back as the same value (integration keys are never written).
    public static func yaml(_ document: ConfigurationDocument) -> String { ConfigurationWriter.document(document).yaml() }
    public static func yaml(_ tenant: TenantConfiguration) -> String { ConfigurationWriter.tenant(tenant).yaml() }
}
