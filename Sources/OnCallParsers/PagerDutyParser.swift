import OnCallCore

/// PagerDuty, for customers moving over: Events API v2 bodies (`routing_key`, `event_action`, `dedup_key`,
/// `payload{…}`), legacy v1 bodies (`service_key`, `event_type`, `incident_key`, `description`), and v3 webhooks
/// (`{"event":{event_type: "incident.…", data:{…}}}`), told apart by shape.
///
/// - Events v2 and v1: the sender's `dedup_key`/`incident_key` is the dedup key as given (senders read it back
///   from PagerDuty's answer and send it again), nil on a trigger without one (each is a new incident, as
///   PagerDuty does). Acknowledge and resolve may carry nothing else; they need the key (a ``ParseError``
///   without it, as PagerDuty answers) and their title is the action's name when there is no summary.
///   Severity critical, error (high), warning (medium), info; v1 has none.
/// - V3 webhooks: `incident.triggered`, `.reopened` and `.unacknowledged` trigger, `.acknowledged` acknowledges,
///   `.resolved` resolves; every other event (notes, escalations, priority changes, services) is no alert.
///   Dedup key: `data.incident_key`, else `pagerduty-<data.id>` (never the per-delivery `event.id`). Severity
///   from the priority (P1…P5, SEV-1…), else urgency high or low.
public struct PagerDutyParser: AlertParser {
    /// `pagerduty`.
    public let source = "pagerduty"

    public init() {}

    /// The one alert in the body (none for a v3 webhook event that is not about an incident's state).
    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        let body = try payload.value()
        guard case .object = body else {
            throw ParseError("a PagerDuty body must be a JSON object (an Events API v2 or v1 event, or a v3 webhook)")
        }
        if body["event"]?.object != nil { return try webhook(body) }
        if body["event_action"] != nil || body["routing_key"] != nil { return [try eventV2(body)] }
        if body["event_type"] != nil || body["service_key"] != nil { return [try eventV1(body)] }
        throw ParseError("not a PagerDuty body: expected event_action (Events API v2), event_type (v1) or an event object (v3 webhook)")
    }

    func eventV2(_ body: PayloadValue) throws(ParseError) -> NormalizedAlert {
        let action = try Self.action(body["event_action"], field: "event_action")
        let dedupKey = Self.text(body["dedup_key"])
        if action != .trigger, dedupKey == nil { throw ParseError("dedup_key: an \(action.rawValue) event needs the trigger's dedup_key") }
        let event = body["payload"]
        let summary = AlertText.title(Self.text(event?["summary"]))

        var links: [NormalizedAlert.Link] = []
        for link in body["links"]?.array ?? [] {
            if let href = Self.text(link["href"]) { links.append(.init(url: href, text: Self.text(link["text"]))) }
        }
        for image in body["images"]?.array ?? [] {
            if let href = Self.text(image["href"]) ?? Self.text(image["src"]) { links.append(.init(url: href, text: Self.text(image["alt"]))) }
        }
        if let url = Self.text(body["client_url"]) { links.append(.init(url: url, text: Self.text(body["client"]))) }

        var details: [String: String] = [:]
        for name in ["component", "group", "class", "timestamp"] { details[name] = Self.text(event?[name]) }
        details["client"] = Self.text(body["client"])

        return NormalizedAlert(
            action: action,
            dedupKey: dedupKey,
            title: summary ?? (action == .trigger ? AlertText.title(Self.text(event?["source"])) ?? "PagerDuty alert" : action.rawValue),
            severity: Self.text(event?["severity"]).flatMap(SeverityText.normalize) ?? SeverityText.fallback,
            description: AlertText.description(event?["custom_details"].flatMap(Self.rendered)),
            source: source,
            device: Self.text(event?["source"]),
            links: links,
            details: details
        )
    }

    func eventV1(_ body: PayloadValue) throws(ParseError) -> NormalizedAlert {
        let action = try Self.action(body["event_type"], field: "event_type")
        let dedupKey = Self.text(body["incident_key"])
        if action != .trigger, dedupKey == nil { throw ParseError("incident_key: an \(action.rawValue) event needs the trigger's incident_key") }

        var links: [NormalizedAlert.Link] = []
        for context in body["contexts"]?.array ?? [] {
            if let href = Self.text(context["href"]) ?? Self.text(context["src"]) {
                links.append(.init(url: href, text: Self.text(context["text"]) ?? Self.text(context["alt"])))
            }
        }
        if let url = Self.text(body["client_url"]) { links.append(.init(url: url, text: Self.text(body["client"]))) }

        var details: [String: String] = [:]
        details["client"] = Self.text(body["client"])

        return NormalizedAlert(
            action: action,
            dedupKey: dedupKey,
            title: AlertText.title(Self.text(body["description"])) ?? (action == .trigger ? "PagerDuty alert" : action.rawValue),
            severity: SeverityText.fallback,
            description: AlertText.description(body["details"].flatMap(Self.rendered)),
            source: source,
            links: links,
            details: details
        )
    }

    func webhook(_ body: PayloadValue) throws(ParseError) -> [NormalizedAlert] {
        guard let event = body["event"], let eventType = Self.text(event["event_type"]) else {
            throw ParseError("event.event_type: a PagerDuty v3 webhook names its event type")
        }
        if let resource = Self.text(event["resource_type"]), resource != "incident" { return [] }
        let action: NormalizedAlert.Action
        switch eventType {
        case "incident.triggered", "incident.reopened", "incident.unacknowledged": action = .trigger
        case "incident.acknowledged": action = .acknowledge
        case "incident.resolved": action = .resolve
        default: return []
        }
        guard let data = event["data"], data.object != nil else { throw ParseError("event.data: a \(eventType) webhook carries the incident") }
        let incidentID = Self.text(data["id"])
        let dedupKey = Self.text(data["incident_key"]) ?? incidentID.map { "pagerduty-\($0)" }
        let number = Self.text(data["number"])
        let priority = Self.text(data["priority"]?["summary"])
        let urgency = Self.text(data["urgency"])?.lowercased()

        var details: [String: String] = [:]
        details["event_type"] = eventType
        details["incident_id"] = incidentID
        details["incident_number"] = number
        details["status"] = Self.text(data["status"])
        details["service"] = Self.text(data["service"]?["summary"])
        details["priority"] = priority
        details["urgency"] = urgency
        details["agent"] = Self.text(event["agent"]?["summary"])

        return [NormalizedAlert(
            action: action,
            dedupKey: dedupKey,
            title: AlertText.title(Self.text(data["title"]) ?? Self.text(data["summary"]))
                ?? number.map { "PagerDuty incident #\($0)" } ?? "PagerDuty incident",
            severity: priority.flatMap(SeverityText.normalize) ?? urgency.flatMap(Self.urgencySeverity) ?? SeverityText.fallback,
            source: source,
            links: Self.text(data["html_url"]).map { [.init(url: $0, text: "PagerDuty incident")] } ?? [],
            details: details
        )]
    }

    static func action(_ value: PayloadValue?, field: String) throws(ParseError) -> NormalizedAlert.Action {
        guard let text = value?.nonEmptyText else { throw ParseError("\(field) is missing: expected trigger, acknowledge or resolve") }
        guard let action = NormalizedAlert.Action(rawValue: text.lowercased()) else {
            throw ParseError("\(field) is \"\(text)\": expected trigger, acknowledge or resolve")
        }
        return action
    }

    static func urgencySeverity(_ urgency: String) -> Severity? {
        switch urgency {
        case "high": .high
        case "low": .low
        default: nil
        }
    }

    /// A value's text, trimmed; nil when empty or a template variable nobody substituted.
    static func text(_ value: PayloadValue?) -> String? {
        guard let text = value?.nonEmptyText, !AlertText.isUnexpandedMacro(text) else { return nil }
        return text
    }

    /// `custom_details`/`details` as text: a string as it is, an object as sorted `key: value` lines (nested values
    /// as compact JSON), anything else as compact JSON.
    static func rendered(_ value: PayloadValue) -> String? {
        switch value {
        case .null: return nil
        case .object(let fields):
            return fields.keys.sorted().map { key in
                let field = fields[key]!
                return "\(key): \(field.text ?? json(field))"
            }.joined(separator: "\n")
        default:
            return value.text ?? json(value)
        }
    }

    /// Compact JSON, object keys sorted, numbers as they were written.
    static func json(_ value: PayloadValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return JSONText.quoted(s)
        case .array(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { JSONText.quoted($0) + ":" + json(fields[$0]!) }.joined(separator: ",") + "}"
        }
    }
}
