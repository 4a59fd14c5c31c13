import OnCallCore

/// Any tool that can POST a JSON object or a form, or can only call a URL: fields are found by name
/// (case-insensitively), so `{"title":"…","severity":"…","dedup_key":"…"}` works as well as Grafana OnCall's
/// formatted webhook (`alert_uid`, `title`, `state`, `message`, `link_to_upstream_details`).
///
/// - Title: `title`, `summary`, `message`, `subject`, `name`, `alert_name`, `alertname`, else the first line of
///   `description`; else `Alert` followed by the dedup key.
/// - Severity: `severity`, `priority`, `level`, `urgency`, `state`, the first word ``SeverityText`` knows;
///   else ``SeverityText/fallback``.
/// - Dedup key: `dedup_key`, `alias`, `incident_key`, `alert_uid`, `alert_id`, `fingerprint`, `uid`, `id`, `key`
///   (never the title).
/// - Action: `event_action`, `action`, `status`, `state`, `event_type`, the first word that names one
///   (`firing`, `acknowledged`, `resolved`, `ok`, …; a severity word such as `critical` is a trigger); else trigger.
/// - Description: `description`, `message`, `details`, `body`, `text`, other than the field used as the title.
/// - Links: `links[]` (`href` or `url`, `text`), `url`, `link`, `link_to_upstream_details`, `runbook_url`;
///   only `http`/`https` URLs are kept.
/// - Device: `host`, `hostname`, `device`, `source`, `computer`.
///
/// The query string may carry the same fields (for tools that can only call a URL): for each of the above the
/// body is read first, then the query; an empty body with query fields is a whole alert.
public struct GenericParser: AlertParser {
    public let source = "generic"

    public init() {}

    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        var layers: [[String: PayloadValue]] = []
        if !payload.hasBlankBody {
            let value = try payload.value()
            guard case .object(let fields) = value else {
                throw ParseError(
                    "a generic alert is one JSON object (or a form) with fields such as title, severity and dedup_key, not \(value.kindDescription)"
                )
            }
            layers.append(fields)
        } else if payload.query.isEmpty {
            throw ParseError("the body is empty and the URL has no alert fields (e.g. ?title=…&severity=…&dedup_key=…)")
        }
        if !payload.query.isEmpty { layers.append(payload.query.mapValues { .string($0) }) }
        return [Self.alert(from: GenericFields(layers), source: source)]
    }

    static let titleNames = ["title", "summary", "message", "subject", "name", "alert_name", "alertname", "description"]
    /// Fields that are prose: used as a title, only their first line counts.
    static let proseNames: Set<String> = ["message", "description"]
    static let descriptionNames = ["description", "message", "details", "body", "text"]
    static let severityNames = ["severity", "priority", "level", "urgency", "state"]
    /// Not `id` (often a per-delivery id, which would open an incident per delivery and never match a
    /// resolve) and not `key` (it may be the integration key, which must not end up on an incident).
    static let keyNames = ["dedup_key", "alias", "incident_key", "alert_uid", "alert_id", "fingerprint", "uid"]
    static let actionNames = ["event_action", "action", "status", "state", "event_type"]
    static let deviceNames = ["host", "hostname", "device", "source", "computer"]
    static let linkNames: [(name: String, text: String?)] = [
        ("url", nil), ("link", nil), ("link_to_upstream_details", "Source"), ("runbook_url", "Runbook"),
    ]
    static let detailNames = ["service", "component", "group", "class"]

    static func alert(from fields: GenericFields, source: String) -> NormalizedAlert {
        let dedupKey = fields.texts(keyNames).first?.text

        var title: String?
        var usedForTitle: GenericFields.Found?
        if let found = fields.texts(titleNames).first {
            if proseNames.contains(found.name) {
                let lines = found.text.nonEmptyLines
                title = AlertText.title(lines.first)
                if lines.count <= 1 { usedForTitle = found }
            } else {
                title = AlertText.title(found.text)
                usedForTitle = found
            }
        }

        let description = fields.texts(descriptionNames).first { $0 != usedForTitle }?.text
        let severity = fields.texts(severityNames).lazy.compactMap { SeverityText.normalize($0.text) }.first ?? SeverityText.fallback
        let action = fields.texts(actionNames).lazy.compactMap { Self.action($0.text) }.first ?? .trigger

        var details: [String: String] = [:]
        for name in detailNames {
            if let found = fields.texts([name]).first { details[name] = found.text }
        }
        for name in ["details", "custom_details"] {
            for member in fields.objects(name) {
                for (key, value) in member where details[key] == nil {
                    if let text = value.scalarText { details[key] = text }
                }
            }
        }

        return NormalizedAlert(
            action: action,
            dedupKey: dedupKey,
            title: title ?? AlertText.title("Alert" + (dedupKey.map { " \($0)" } ?? "")) ?? "Alert",
            severity: severity,
            description: AlertText.description(description),
            source: source,
            device: fields.texts(deviceNames).first?.text,
            links: links(fields),
            details: details
        )
    }

    static func links(_ fields: GenericFields) -> [NormalizedAlert.Link] {
        var links = LinkList()
        for layer in fields.layers {
            for item in layer.lookup("links")?.array ?? [] {
                if let url = item.scalarText {
                    links.add(url, text: nil)
                } else if case .object = item {
                    guard let url = (item.field("href", "url")).flatMap(\.scalarText) else { continue }
                    links.add(url, text: item.field("text", "title", "name").flatMap(\.scalarText))
                }
            }
            for (name, text) in linkNames {
                if let url = layer.lookup(name)?.scalarText { links.add(url, text: text) }
            }
        }
        return links.links
    }

    /// The action a status word names, nil for a word that names none (the next field is then read).
    static func action(_ word: String) -> NormalizedAlert.Action? {
        switch word.trimmingWhitespace.lowercased() {
        case "trigger", "triggered", "firing", "fire", "fired", "alerting", "problem", "open", "opened", "reopen", "reopened", "new",
            "active", "raise", "raised", "create", "created", "unresolved":
            .trigger
        case "ack", "acked", "acknowledge", "acknowledged", "acknowledgement", "acknowledgment":
            .acknowledge
        case "resolve", "resolved", "ok", "recovered", "recovery", "closed", "close", "up", "green", "normal", "clear", "cleared",
            "inactive", "fixed":
            .resolve
        case let other:
            // `state: critical`, `status: down`: a severity word means the thing is alerting.
            SeverityText.normalize(other) != nil ? .trigger : nil
        }
    }
}

/// The layers of fields a generic alert is read from (the body, then the query), names matched case-insensitively.
struct GenericFields {
    /// A text found under one name of one layer.
    struct Found: Equatable {
        var layer: Int
        var name: String
        var text: String
    }

    /// Each layer keyed by lower-cased name.
    let layers: [[String: PayloadValue]]

    init(_ layers: [[String: PayloadValue]]) {
        self.layers = layers.map { layer in
            var lowered: [String: PayloadValue] = [:]
            // Sorted, so that of `Title` and `title` the same one wins every time.
            for key in layer.keys.sorted() where lowered[key.lowercased()] == nil {
                lowered[key.lowercased()] = layer[key]
            }
            return lowered
        }
    }

    /// Every usable text under `names`: the first layer's in name order, then the next layer's.
    func texts(_ names: [String]) -> [Found] {
        var found: [Found] = []
        for (index, layer) in layers.enumerated() {
            for name in names {
                if let text = layer.lookup(name)?.scalarText { found.append(Found(layer: index, name: name, text: text)) }
            }
        }
        return found
    }

    /// The objects under `name`, layer by layer.
    func objects(_ name: String) -> [[String: PayloadValue]] {
        layers.compactMap { $0.lookup(name)?.object }
    }
}

extension [String: PayloadValue] {
    func lookup(_ lowercasedName: String) -> PayloadValue? { self[lowercasedName] }
}

extension PayloadValue {
    /// A string or number, trimmed; nil when empty, an unexpanded macro, or not a scalar (booleans say nothing here).
    var scalarText: String? {
        switch self {
        case .string, .number:
            guard let text = nonEmptyText, !AlertText.isUnexpandedMacroAnyCase(text) else { return nil }
            return text
        default:
            return nil
        }
    }

    /// What kind of value this is, for error messages.
    var kindDescription: String {
        switch self {
        case .null: "JSON null"
        case .bool: "a JSON boolean"
        case .number: "a JSON number"
        case .string: "a JSON string"
        case .array: "a JSON array"
        case .object: "a JSON object"
        }
    }
}

extension String {
    /// The lines that have text, trimmed.
    var nonEmptyLines: [String] {
        split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    }
}

extension InboundPayload {
    /// The body has nothing but a byte-order mark and whitespace.
    var hasBlankBody: Bool {
        var start = body.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[start]) { start += 1 }
        return start == body.count
    }
}

/// Links in order, web URLs only, each URL once (a later text fills in a missing one).
struct LinkList {
    private(set) var links: [NormalizedAlert.Link] = []

    mutating func add(_ url: String, text: String?) {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://"), !url.contains(where: \.isWhitespace) else { return }
        let text = text.flatMap { AlertText.title($0) }
        if let index = links.firstIndex(where: { $0.url == url }) {
            if links[index].text == nil { links[index].text = text }
            return
        }
        links.append(NormalizedAlert.Link(url: url, text: text))
    }
}
