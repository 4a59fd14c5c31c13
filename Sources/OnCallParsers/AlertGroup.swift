import OnCallCore

/// An Alertmanager-shaped notification: Alertmanager's webhook (version 4) and Grafana unified alerting's
/// (version 1, the same fields plus Grafana's own). One group of alerts, some firing, some resolved.
struct AlertGroup {
    /// One alert of the group.
    struct Member {
        var isFiring: Bool
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String?
        var endsAt: String?
        var generatorURL: String?
        var fingerprint: String?
        /// The alert object as sent, for the fields one tool adds (Grafana's silenceURL, values, …).
        var raw: PayloadValue
    }

    var isFiring: Bool
    var receiver: String?
    var groupKey: String?
    var groupLabels: [String: String]
    var commonLabels: [String: String]
    var commonAnnotations: [String: String]
    var externalURL: String?
    var truncatedAlerts: Int
    var alerts: [Member]

    var firing: [Member] { alerts.filter(\.isFiring) }
    var resolved: [Member] { alerts.filter { !$0.isFiring } }

    /// Reads the group. `tool` names the sender in error messages; `state` is a second top-level field read
    /// when `status` is absent (Grafana's `state: alerting|ok`); without either, the alerts' statuses decide.
    init(_ root: PayloadValue, tool: String, state: (field: String, firing: String, resolved: String)? = nil) throws(ParseError) {
        guard case .object = root else { throw ParseError("\(tool) payload must be a JSON object") }
        guard let alertsValue = root.field("alerts"), alertsValue != .null else {
            throw ParseError("\(tool) payload has no 'alerts' array")
        }
        guard let items = alertsValue.array else { throw ParseError("\(tool) payload: 'alerts' must be an array") }
        guard !items.isEmpty else { throw ParseError("\(tool) payload: 'alerts' is empty (a notification carries at least one alert)") }

        let status = root.field("status")?.nonEmptyText?.lowercased()
        var members: [Member] = []
        for (index, item) in items.enumerated() {
            guard case .object = item else { throw ParseError("\(tool) payload: alerts[\(index)] must be an object") }
            let alertStatus = item.field("status")?.nonEmptyText?.lowercased()
            members.append(Member(
                // An alert without a status takes the notification's.
                isFiring: alertStatus.map { $0 != "resolved" } ?? (status != "resolved"),
                labels: try Self.stringMap(item.field("labels"), at: "alerts[\(index)].labels", tool: tool),
                annotations: try Self.stringMap(item.field("annotations"), at: "alerts[\(index)].annotations", tool: tool),
                startsAt: item.field("startsAt")?.nonEmptyText,
                endsAt: item.field("endsAt")?.nonEmptyText,
                generatorURL: item.field("generatorURL")?.nonEmptyText,
                fingerprint: item.field("fingerprint")?.nonEmptyText,
                raw: item
            ))
        }

        switch status {
        case "firing": isFiring = true
        case "resolved": isFiring = false
        default:
            let stateValue = state.flatMap { root.field($0.field)?.nonEmptyText?.lowercased() }
            if let state, stateValue == state.firing {
                isFiring = true
            } else if let state, stateValue == state.resolved {
                isFiring = false
            } else {
                isFiring = members.contains(where: \.isFiring)
            }
        }
        receiver = root.field("receiver")?.nonEmptyText
        groupKey = root.field("groupKey")?.nonEmptyText
        groupLabels = try Self.stringMap(root.field("groupLabels"), at: "groupLabels", tool: tool)
        commonLabels = try Self.stringMap(root.field("commonLabels"), at: "commonLabels", tool: tool)
        commonAnnotations = try Self.stringMap(root.field("commonAnnotations"), at: "commonAnnotations", tool: tool)
        externalURL = root.field("externalURL")?.nonEmptyText
        truncatedAlerts = root.field("truncatedAlerts")?.nonEmptyText.flatMap { Int($0) } ?? 0
        alerts = members
    }

    /// A label map (`{"name": "value"}`); absent or null is empty; numbers and booleans are kept as their text.
    static func stringMap(_ value: PayloadValue?, at path: String, tool: String) throws(ParseError) -> [String: String] {
        guard let value, value != .null else { return [:] }
        guard let fields = value.object else { throw ParseError("\(tool) payload: '\(path)' must be an object of strings") }
        var out: [String: String] = [:]
        for (name, item) in fields {
            if let text = item.text { out[name] = text }
        }
        return out
    }

    // MARK: Reading

    /// The group's identity, `<prefix><groupKey>`; without a groupKey, the group labels as a label set
    /// (`{alertname="X", cluster="y"}`), else nil.
    func dedupKey(prefix: String) -> String? {
        if let groupKey { return prefix + groupKey }
        let labels = Self.visible(groupLabels)
        return labels.isEmpty ? nil : prefix + Self.labelSet(labels)
    }

    /// The highest severity among the firing alerts (all of them once resolved), else the common labels', else medium.
    var severity: Severity {
        let considered = firing.isEmpty ? alerts : firing
        return considered.compactMap { Self.severity(of: $0.labels) }.max()
            ?? Self.severity(of: commonLabels)
            ?? SeverityText.fallback
    }

    /// `alertname (other group label values)`, from the group labels (sorted by name) and the common alertname.
    var labelTitle: String? {
        let labels = Self.visible(groupLabels)
        let name = Self.label("alertname", in: labels) ?? Self.label("alertname", in: commonLabels)
        let others = labels.keys.sorted().filter { $0.lowercased() != "alertname" }.compactMap { labels[$0] }.filter { !$0.isEmpty }
        switch (name, others.isEmpty) {
        case (let name?, true): return name
        case (let name?, false): return "\(name) (\(others.joined(separator: ", ")))"
        case (nil, false): return others.joined(separator: ", ")
        case (nil, true): return nil
        }
    }

    /// One line per alert, firing first (resolved ones marked while the group still fires); the common
    /// description instead when there is one. Alerts left out by `max_alerts` are counted on a last line.
    func description(summaryIsTitle: Bool) -> String? {
        var parts: [String] = []
        if let common = Self.annotation("description", in: commonAnnotations) {
            parts.append(common)
        } else {
            var lines: [String] = []
            let mark = isFiring && !firing.isEmpty
            for alert in firing + resolved {
                let suffix = mark && !alert.isFiring ? " (resolved)" : ""
                lines.append("- " + Self.line(for: alert, preferDescription: summaryIsTitle) + suffix)
            }
            if !lines.isEmpty { parts.append(lines.joined(separator: "\n")) }
        }
        if truncatedAlerts > 0 {
            parts.append("\(truncatedAlerts) more alert\(truncatedAlerts == 1 ? " was" : "s were") left out of this notification (max_alerts).")
        }
        return AlertText.description(parts.joined(separator: "\n\n"))
    }

    /// The common `instance`/`host` label.
    var device: String? { Self.device(in: commonLabels) }

    /// Facts every group alert carries: status, counts, receiver, group key and labels, truncation.
    var details: [String: String] {
        var details: [String: String] = [
            "status": isFiring ? "firing" : "resolved",
            "firing": String(firing.count),
            "resolved": String(resolved.count),
        ]
        details["receiver"] = receiver
        details["group_key"] = groupKey
        details["alertname"] = Self.label("alertname", in: commonLabels)
        let group = Self.visible(groupLabels)
        if !group.isEmpty { details["group_labels"] = Self.labelText(group) }
        if !commonLabels.isEmpty { details["common_labels"] = Self.labelText(commonLabels) }
        if truncatedAlerts > 0 { details["truncated_alerts"] = String(truncatedAlerts) }
        return details
    }

    /// Runbooks (`runbook_url`, else `runbook`) of the given annotation maps, in order (`deduplicated()` drops repeats).
    static func runbookLinks(_ annotationMaps: [[String: String]]) -> [NormalizedAlert.Link] {
        annotationMaps.compactMap { annotation("runbook_url", in: $0) ?? annotation("runbook", in: $0) }
            .map { NormalizedAlert.Link(url: $0, text: "Runbook") }
    }

    // MARK: Per alert

    /// The alert's identity, `<prefix>fingerprint:<fp>`; without one, its label set; nil with neither.
    static func dedupKey(of alert: Member, prefix: String) -> String? {
        if let fingerprint = alert.fingerprint { return prefix + "fingerprint:" + fingerprint }
        return alert.labels.isEmpty ? nil : prefix + "labels:" + labelSet(alert.labels)
    }

    /// `summary`, else `alertname (instance)`, else nil.
    static func title(of alert: Member) -> String? {
        annotation("summary", in: alert.annotations) ?? titleFromLabels(alert.labels)
    }

    /// `alertname (instance)` from an alert's labels.
    static func titleFromLabels(_ labels: [String: String]) -> String? {
        let name = label("alertname", in: labels)
        switch (name, device(in: labels)) {
        case (let name?, let device?): return "\(name) (\(device))"
        case (let name?, nil): return name
        case (nil, let device?): return device
        case (nil, nil): return nil
        }
    }

    /// Facts of one alert: status, fingerprint, alertname, labels, times, and its group's receiver, key and truncation.
    static func details(of alert: Member, in group: AlertGroup) -> [String: String] {
        var details: [String: String] = ["status": alert.isFiring ? "firing" : "resolved"]
        details["fingerprint"] = alert.fingerprint
        details["alertname"] = label("alertname", in: alert.labels)
        if !alert.labels.isEmpty { details["labels"] = labelText(alert.labels) }
        details["starts_at"] = alert.startsAt
        if !alert.isFiring { details["ends_at"] = alert.endsAt }
        details["receiver"] = group.receiver
        details["group_key"] = group.groupKey
        if group.truncatedAlerts > 0 { details["truncated_alerts"] = String(group.truncatedAlerts) }
        return details
    }

    static func severity(of labels: [String: String]) -> Severity? {
        for name in ["severity", "priority"] {
            if let value = label(name, in: labels), let severity = SeverityText.normalize(value) { return severity }
        }
        return nil
    }

    static func device(in labels: [String: String]) -> String? {
        label("instance", in: labels) ?? label("host", in: labels) ?? label("hostname", in: labels)
    }

    /// A label by name, exact first, then case-insensitively; nil when absent or blank.
    static func label(_ name: String, in labels: [String: String]) -> String? {
        let value = labels[name] ?? labels.first(where: { $0.key.lowercased() == name })?.value
        guard let trimmed = value?.trimmingWhitespace, !trimmed.isEmpty else { return nil }
        return trimmed
    }

    static func annotation(_ name: String, in annotations: [String: String]) -> String? { label(name, in: annotations) }

    /// `name=value, …` sorted by name.
    static func labelText(_ labels: [String: String]) -> String {
        labels.keys.sorted().map { "\($0)=\(labels[$0] ?? "")" }.joined(separator: ", ")
    }

    /// Prometheus's label-set text: `{name="value", …}` sorted by name.
    static func labelSet(_ labels: [String: String]) -> String {
        "{" + labels.keys.sorted().map { "\($0)=\"\(labels[$0] ?? "")\"" }.joined(separator: ", ") + "}"
    }

    /// Without the `__private__` labels.
    static func visible(_ labels: [String: String]) -> [String: String] {
        labels.filter { !($0.key.hasPrefix("__") && $0.key.hasSuffix("__")) }
    }

    private static func line(for alert: Member, preferDescription: Bool) -> String {
        let summary = annotation("summary", in: alert.annotations)
        let description = annotation("description", in: alert.annotations).map(firstLine)
        let text = preferDescription ? (description ?? summary) : (summary ?? description)
        return text ?? titleFromLabels(alert.labels) ?? alert.fingerprint ?? "alert"
    }

    private static func firstLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).first ?? Substring(text)).trimmingWhitespace
    }
}

extension Array where Element == NormalizedAlert.Link {
    /// In order, each URL once, blanks dropped, at most `limit`.
    func deduplicated(limit: Int = 20) -> [NormalizedAlert.Link] {
        var seen = Set<String>()
        var out: [NormalizedAlert.Link] = []
        for link in self {
            let url = link.url.trimmingWhitespace
            guard !url.isEmpty, seen.insert(url).inserted else { continue }
            out.append(NormalizedAlert.Link(url: url, text: link.text))
            if out.count == limit { break }
        }
        return out
    }
}
