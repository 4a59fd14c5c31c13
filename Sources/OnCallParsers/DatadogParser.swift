import OnCallCore

/// Datadog's Webhooks integration: the default payload (`title` `$EVENT_TITLE`, `body` `$EVENT_MSG`, `id` `$ID`, no
/// transition, priority or key) and custom payloads carrying `$ALERT_TRANSITION`, `$ALERT_PRIORITY`,
/// `$ALERT_TYPE`, `$AGGREG_KEY`, `$ALERT_CYCLE_KEY`, `$ALERT_ID`, `$ALERT_SCOPE`, `$HOSTNAME`, `$LINK` and
/// `$TEXT_ONLY_MSG`, as JSON or "Encode as form". Keys match whatever their case, `_`, `-` or `.` (`alert_transition`,
/// `alertTransition`, `transition`); a value still reading `$VARIABLE`, or empty, counts as absent.
///
/// - Action: `Recovered` resolves; `Triggered`, `Re-Triggered`, `Warn`, `Re-Warn`, `No Data`, `Re-No Data` and
///   `Renotify` trigger (a renotification folds into the open incident). The transition comes from the
///   payload, else from the title's state bracket (`[Triggered on {host:web-01}]`), else `$ALERT_TYPE` `success`
///   resolves; otherwise a trigger.
/// - Dedup key: `datadog-cycle-<$ALERT_CYCLE_KEY>`, else `datadog-aggreg-<$AGGREG_KEY>`, else
///   `datadog-monitor-<$ALERT_ID>` plus ` {<scope>}`, else (the default payload) `datadog-title-<monitor name>`
///   plus ` {<scope>}`: the title without its `[P1]` and state brackets, with the scope of `[… on {…}]` kept so
///   each group of a multi-alert monitor is its own incident. Scopes are normalised (tags trimmed and sorted), so
///   Triggered, Warn and Recovered give the same key. `$ID` (new for every notification) is never used.
/// - Severity: `$ALERT_PRIORITY` P1…P5 (critical, high, medium, low, info), else `$ALERT_TYPE` (error high,
///   warning medium, info and success info), else the title's `[P1]`, else medium; a Warn is at most medium.
public struct DatadogParser: AlertParser {
    /// `datadog`.
    public let source = "datadog"

    public init() {}

    /// The one alert in the body.
    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        guard case .object(let object) = try payload.value() else {
            throw ParseError("a Datadog webhook body must be a JSON object (the webhook's payload template) or a form")
        }
        let fields = FlatFields(object)
        let header = fields.text("title", "event_title", "alert_title").map(TitleHeader.init)
        let transition = fields.text("alert_transition", "transition").flatMap { Transition($0) } ?? header?.transition
        let alertType = fields.text("alert_type")?.lowercased()
        let alertID = fields.text("alert_id", "monitor_id")
        let scope = fields.text("alert_scope", "scope").flatMap(Self.normalizedScope) ?? header?.scope

        let dedupKey: String? =
            if let cycle = fields.text("alert_cycle_key", "cycle_key") { "datadog-cycle-\(cycle)" }
            else if let aggregate = fields.text("aggreg_key", "aggregation_key", "aggregate_key") { "datadog-aggreg-\(aggregate)" }
            else if let alertID { "datadog-monitor-\(alertID)" + (scope.map { " {\($0)}" } ?? "") }
            else if let name = header?.name { "datadog-title-\(name)" + (scope.map { " {\($0)}" } ?? "") }
            else { nil }

        let description = AlertText.description(
            fields.text("text_only_msg", "event_message", "message", "text", "body", "event_msg", "msg").map(Self.messageText)
        )
        guard header != nil || transition != nil || dedupKey != nil || description != nil else {
            throw ParseError(
                "no Datadog fields found: expected title ($EVENT_TITLE), body ($EVENT_MSG), alert_transition, alert_id, aggreg_key or alert_cycle_key"
            )
        }

        let action: NormalizedAlert.Action =
            if let transition { transition == .recovered ? .resolve : .trigger }
            else { alertType == "success" ? .resolve : .trigger }

        var severity =
            fields.text("alert_priority", "priority").flatMap(Self.prioritySeverity)
            ?? alertType.flatMap(Self.alertTypeSeverity)
            ?? header?.priority.flatMap(Self.prioritySeverity)
            ?? SeverityText.fallback
        if transition == .warn || transition == .reWarn { severity = min(severity, .medium) }

        let title = AlertText.title(header?.name) ?? alertID.map { "Datadog monitor \($0)" } ?? "Datadog alert"
        return [NormalizedAlert(
            action: action,
            dedupKey: dedupKey,
            title: title,
            severity: severity,
            description: description,
            source: source,
            device: fields.text("hostname", "host") ?? scope.flatMap { Self.host(inScope: $0) },
            links: Self.links(fields),
            details: Self.details(fields, transition: transition, scope: scope)
        )]
    }

    /// `P1`…`P5` only (`$PRIORITY` is the event's `normal`/`low`, not a severity).
    static func prioritySeverity(_ text: String) -> Severity? {
        let t = text.uppercased()
        guard t.count == 2, t.hasPrefix("P"), let digit = t.last, ("1"..."5").contains(digit) else { return nil }
        return SeverityText.normalize(t)
    }

    static func alertTypeSeverity(_ type: String) -> Severity? {
        switch type {
        case "error": .high
        case "warning": .medium
        case "info", "success": .info
        default: nil
        }
    }

    /// A message without the `%%%` lines Datadog wraps its markdown in, nor the lines that only address
    /// webhooks (`@webhook-oncall`).
    static func messageText(_ text: String) -> String {
        var body = Substring(text.trimmingWhitespace)
        if body.hasPrefix("%%%") { body = body.dropFirst(3) }
        if body.hasSuffix("%%%") { body = body.dropLast(3) }
        return body.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let words = line.split(whereSeparator: \.isWhitespace)
            return words.isEmpty || !words.allSatisfy { $0.hasPrefix("@webhook-") }
        }.joined(separator: "\n")
    }

    /// The `[Monitor Status](…)` link Datadog appends to `$EVENT_MSG`.
    static func monitorStatusLink(in message: String) -> String? {
        guard let start = message.firstRange(of: "[Monitor Status](") else { return nil }
        let url = message[start.upperBound...].prefix { $0 != ")" && !$0.isWhitespace }
        return url.hasPrefix("https://") ? String(url) : nil
    }

    /// Tags (`host:web-01,env:prod`, with or without braces) trimmed and sorted; nil when there are none.
    static func normalizedScope(_ text: String) -> String? {
        var inner = Substring(text.trimmingWhitespace)
        if inner.hasPrefix("{"), inner.hasSuffix("}") { inner = inner.dropFirst().dropLast() }
        let tags = inner.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }.sorted()
        return tags.isEmpty ? nil : tags.joined(separator: ",")
    }

    /// The `host:` tag of a scope.
    static func host(inScope scope: String) -> String? {
        scope.split(separator: ",").first { $0.hasPrefix("host:") }.map { String($0.dropFirst(5)) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func links(_ fields: FlatFields) -> [NormalizedAlert.Link] {
        var links: [NormalizedAlert.Link] = []
        for (names, text) in [
            (["link", "event_link", "event_url"], "Datadog event"), (["monitor_url", "monitor_link", "url"], "Datadog monitor"),
            (["snapshot"], "Graph snapshot"),
        ] {
            for name in names {
                guard let url = fields.text(name), url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://"),
                    !links.contains(where: { $0.url == url })
                else { continue }
                links.append(.init(url: url, text: text))
            }
        }
        if let message = fields.text("body", "event_msg", "message", "text"), let url = monitorStatusLink(in: message),
            !links.contains(where: { $0.url == url })
        {
            links.append(.init(url: url, text: "Datadog monitor status"))
        }
        return links
    }

    static func details(_ fields: FlatFields, transition: Transition?, scope: String?) -> [String: String] {
        var details: [String: String] = [:]
        details["monitor_id"] = fields.text("alert_id", "monitor_id")
        details["transition"] = transition?.rawValue
        details["scope"] = scope
        details["priority"] = fields.text("alert_priority", "priority")
        details["alert_type"] = fields.text("alert_type")
        details["event_type"] = fields.text("event_type")
        details["event_id"] = fields.text("id", "event_id")
        details["org"] = fields.text("org_name", "orgname")
        details["tags"] = fields.text("tags")
        return details
    }

    /// `$ALERT_TRANSITION`, and the state word of a title's bracket.
    enum Transition: String, Equatable {
        case triggered = "Triggered", reTriggered = "Re-Triggered", recovered = "Recovered", warn = "Warn", reWarn = "Re-Warn"
        case noData = "No Data", reNoData = "Re-No Data", renotify = "Renotify"

        init?(_ text: String) {
            let word = String(text.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) })
            switch word {
            case "triggered", "alert": self = .triggered
            case "retriggered": self = .reTriggered
            case "recovered", "resolved": self = .recovered
            case "warn", "warning": self = .warn
            case "rewarn", "rewarning": self = .reWarn
            case "nodata": self = .noData
            case "renodata": self = .reNoData
            case "renotify": self = .renotify
            default: return nil
            }
        }
    }

    /// `$EVENT_TITLE` read apart: `[P1] [Triggered on {host:web-01}] High CPU` is priority P1, Triggered, scope
    /// `host:web-01`, monitor name `High CPU`. Brackets after the state one belong to the monitor's name.
    struct TitleHeader {
        var priority: String?
        var transition: Transition?
        var scope: String?
        var name: String?

        init(_ title: String) {
            var rest = Substring(title.trimmingWhitespace)
            while transition == nil, rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                let inner = String(rest[rest.index(after: rest.startIndex)..<close]).trimmingWhitespace
                if priority == nil, DatadogParser.prioritySeverity(inner) != nil {
                    priority = inner.uppercased()
                } else if let state = Self.state(inner) {
                    transition = state.transition
                    scope = state.scope
                } else {
                    break
                }
                rest = rest[rest.index(after: close)...].drop(while: \.isWhitespace)
            }
            let name = String(rest).trimmingWhitespace
            self.name = name.isEmpty ? nil : name
        }

        /// `Triggered`, `Recovered on {host:web-01,env:prod}`, …
        static func state(_ inner: String) -> (transition: Transition, scope: String?)? {
            guard let on = inner.firstRange(of: " on ") else { return Transition(inner).map { ($0, nil) } }
            guard let transition = Transition(String(inner[..<on.lowerBound])) else { return nil }
            return (transition, DatadogParser.normalizedScope(String(inner[on.upperBound...])))
        }
    }
}
