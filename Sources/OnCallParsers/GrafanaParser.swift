import OnCallCore

/// Grafana's webhook contact point.
///
/// Unified alerting (`version: "1"`, Alertmanager-shaped) is read like ``AlertmanagerParser``:
/// - `.perGroup` (default): dedup key `grafana:<groupKey>`; `status: resolved` (or, without a status,
///   `state: ok`) resolves, anything else triggers. The title is Grafana's `title` without its
///   `[FIRING:n]`/`[RESOLVED]` prefix (counts are in `details`), else the common summary annotation.
///   The description is Grafana's `message`.
/// - `.perAlert`: dedup key `grafana:fingerprint:<fingerprint>`, action from the alert's own status.
///
/// Legacy (dashboard) alerting, `{ruleId, ruleName, state, evalMatches, …}`: dedup key `grafana:rule:<ruleId>`;
/// `alerting`, `no_data` and `unknown` trigger, `ok` resolves; `pending` and `paused` page no one (no alerts).
public struct GrafanaParser: AlertParser {
    public let source = "grafana"
    static let keyPrefix = "grafana:"

    public init() {}

    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        let root = try payload.value()
        guard case .object = root else { throw ParseError("Grafana payload must be a JSON object") }
        if root.field("alerts") == nil, root.field("ruleId", "ruleName", "ruleUrl", "evalMatches") != nil {
            return try legacyAlerts(root)
        }
        guard root.field("alerts") != nil else {
            throw ParseError("Grafana payload has neither an 'alerts' array (unified alerting) nor 'ruleId'/'ruleName' (legacy alerting)")
        }
        let group = try AlertGroup(root, tool: "Grafana", state: (field: "state", firing: "alerting", resolved: "ok"))
        let orgID = root.field("orgId")?.nonEmptyText
        switch payload.options.grouping {
        case .perGroup: return [groupAlert(group, root: root, orgID: orgID)]
        case .perAlert: return group.alerts.map { alert(for: $0, in: group, orgID: orgID) }
        }
    }

    // MARK: Unified alerting

    func groupAlert(_ group: AlertGroup, root: PayloadValue, orgID: String?) -> NormalizedAlert {
        let summary = AlertText.title(AlertGroup.annotation("summary", in: group.commonAnnotations))
        let title = AlertText.title(root.field("title")?.nonEmptyText.map(Self.withoutStatusPrefix))
            ?? summary
            ?? AlertText.title(group.labelTitle)
            ?? "Grafana alerts"
        var description = group.description(summaryIsTitle: summary != nil)
        if let message = root.field("message")?.nonEmptyText {
            let note = group.truncatedAlerts > 0
                ? "\n\n\(group.truncatedAlerts) more alert\(group.truncatedAlerts == 1 ? " was" : "s were") left out of this notification (max_alerts)."
                : ""
            description = AlertText.description(message + note)
        }
        let ordered = group.firing + group.resolved
        var links = AlertGroup.runbookLinks([group.commonAnnotations] + ordered.map(\.annotations))
        for (field, text) in Self.linkFields {
            links += ordered.compactMap { $0.raw.field(field)?.nonEmptyText }.map { NormalizedAlert.Link(url: $0, text: text) }
        }
        if let external = group.externalURL { links.append(NormalizedAlert.Link(url: external, text: "Grafana")) }

        var details = group.details
        details["state"] = root.field("state")?.nonEmptyText
        details["org_id"] = orgID
        if group.alerts.count == 1, let only = group.alerts.first {
            details["values"] = Self.valuesText(only.raw.field("values"))
            details["value_string"] = only.raw.field("valueString")?.nonEmptyText
        }
        return NormalizedAlert(
            action: group.isFiring ? .trigger : .resolve,
            dedupKey: group.dedupKey(prefix: Self.keyPrefix),
            title: title,
            severity: group.severity,
            description: description,
            source: source,
            device: group.device,
            links: links.deduplicated(),
            details: details
        )
    }

    func alert(for alert: AlertGroup.Member, in group: AlertGroup, orgID: String?) -> NormalizedAlert {
        var links = AlertGroup.runbookLinks([alert.annotations])
        for (field, text) in Self.linkFields {
            if let url = alert.raw.field(field)?.nonEmptyText { links.append(NormalizedAlert.Link(url: url, text: text)) }
        }
        var details = AlertGroup.details(of: alert, in: group)
        details["org_id"] = alert.raw.field("orgId")?.nonEmptyText ?? orgID
        details["values"] = Self.valuesText(alert.raw.field("values"))
        details["value_string"] = alert.raw.field("valueString")?.nonEmptyText
        return NormalizedAlert(
            action: alert.isFiring ? .trigger : .resolve,
            dedupKey: AlertGroup.dedupKey(of: alert, prefix: Self.keyPrefix),
            title: AlertText.title(AlertGroup.title(of: alert)) ?? AlertText.title(group.labelTitle) ?? "Grafana alert",
            severity: AlertGroup.severity(of: alert.labels) ?? SeverityText.fallback,
            description: AlertText.description(AlertGroup.annotation("description", in: alert.annotations)),
            source: source,
            device: AlertGroup.device(in: alert.labels),
            links: links.deduplicated(),
            details: details
        )
    }

    /// The alert fields that are links, in the order shown.
    static let linkFields: [(field: String, text: String)] = [
        ("dashboardURL", "Dashboard"), ("panelURL", "Panel"), ("generatorURL", "Alert rule"), ("imageURL", "Image"),
        ("silenceURL", "Silence"),
    ]

    /// `[FIRING:2, RESOLVED:1] HighCPU Infra` → `HighCPU Infra`; also legacy `[Alerting] …`, `[OK] …`, `[No Data] …`.
    static func withoutStatusPrefix(_ title: String) -> String {
        let trimmed = title.trimmingWhitespace
        guard trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") else { return trimmed }
        let tag = trimmed[trimmed.index(after: trimmed.startIndex)..<close].uppercased()
        let statuses = ["FIRING", "RESOLVED", "ALERTING", "OK", "NO DATA", "PENDING", "PAUSED"]
        guard statuses.contains(where: { tag == $0 || tag.hasPrefix($0 + ":") }) else { return trimmed }
        return String(trimmed[trimmed.index(after: close)...]).trimmingWhitespace
    }

    /// Grafana's `values` (`{"B": 44.2, "C": 1}`) as `B=44.2, C=1`, sorted by ref id.
    static func valuesText(_ value: PayloadValue?) -> String? {
        guard let fields = value?.object, !fields.isEmpty else { return nil }
        return fields.keys.sorted().map { "\($0)=\(fields[$0]?.text ?? "null")" }.joined(separator: ", ")
    }

    // MARK: Legacy alerting

    func legacyAlerts(_ root: PayloadValue) throws(ParseError) -> [NormalizedAlert] {
        guard let state = root.field("state")?.nonEmptyText?.lowercased() else {
            throw ParseError("legacy Grafana payload has no 'state' (alerting, ok, no_data, pending or paused)")
        }
        let action: NormalizedAlert.Action
        switch state {
        case "alerting", "no_data", "unknown": action = .trigger
        case "ok": action = .resolve
        case "pending", "paused": return []
        default: throw ParseError("legacy Grafana payload: unknown state '\(state)' (alerting, ok, no_data, pending or paused)")
        }
        let tags = Self.lenientStrings(root.field("tags"))
        let matches = root.field("evalMatches")?.array ?? []
        let ruleID = root.field("ruleId")?.nonEmptyText
        let ruleName = root.field("ruleName")?.nonEmptyText

        var lines: [String] = []
        var matchTexts: [String] = []
        for match in matches {
            let metric = match.field("metric")?.nonEmptyText ?? "value"
            let value = match.field("value")?.text ?? "null"
            lines.append("- \(metric): \(value)")
            matchTexts.append("\(metric)=\(value)")
        }
        var parts: [String] = []
        if let message = root.field("message")?.nonEmptyText { parts.append(message) }
        if !lines.isEmpty { parts.append(lines.joined(separator: "\n")) }

        var device = AlertGroup.device(in: tags)
        if device == nil, matches.count == 1 { device = AlertGroup.device(in: Self.lenientStrings(matches[0].field("tags"))) }

        var links: [NormalizedAlert.Link] = []
        if let url = root.field("ruleUrl")?.nonEmptyText { links.append(NormalizedAlert.Link(url: url, text: "Alert rule")) }
        if let url = root.field("imageUrl")?.nonEmptyText { links.append(NormalizedAlert.Link(url: url, text: "Image")) }

        var details: [String: String] = ["state": state]
        details["rule_id"] = ruleID
        details["rule_name"] = ruleName
        details["org_id"] = root.field("orgId")?.nonEmptyText
        details["dashboard_id"] = root.field("dashboardId")?.nonEmptyText
        details["panel_id"] = root.field("panelId")?.nonEmptyText
        if !tags.isEmpty { details["tags"] = AlertGroup.labelText(tags) }
        if !matchTexts.isEmpty { details["eval_matches"] = matchTexts.joined(separator: ", ") }

        return [NormalizedAlert(
            action: action,
            dedupKey: ruleID.map { Self.keyPrefix + "rule:" + $0 },
            title: AlertText.title(ruleName)
                ?? AlertText.title(root.field("title")?.nonEmptyText.map(Self.withoutStatusPrefix))
                ?? "Grafana alert",
            severity: AlertGroup.severity(of: tags) ?? SeverityText.fallback,
            description: AlertText.description(parts.joined(separator: "\n\n")),
            source: source,
            device: device,
            links: links.deduplicated(),
            details: details
        )]
    }

    /// An object's string, number and boolean members; anything else is empty.
    static func lenientStrings(_ value: PayloadValue?) -> [String: String] {
        (value?.object ?? [:]).compactMapValues(\.text)
    }
}
