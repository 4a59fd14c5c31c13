import OnCallCore

/// Zabbix: a Webhook media type posting its parameters as a JSON object whose keys are the macro names
/// (`EVENT.ID`, `EVENT.VALUE`, `EVENT.NSEVERITY`, `HOST.NAME`, …, as the bundled iLert media type does), with
/// lowercase/underscore spellings (`event_id`, `eventValue`) and nested objects (`{"event":{"id":…}}`) read
/// alike; also the Grafana OnCall script's `{alert_uid, title, state, message}`.
///
/// - Action: `EVENT.VALUE` 1 is a problem, 0 a recovery (`EVENT.STATUS` PROBLEM/RESOLVED, a present
///   `EVENT.RECOVERY.ID`, the script's `state` ok/alerting, or a `Resolved…`/`OK…` subject when it is absent).
///   A problem update (`EVENT.UPDATE.STATUS` 1) with `EVENT.ACK.STATUS` Yes acknowledges; any other update
///   (a comment, a severity change, an unacknowledge) triggers again and so folds into the open incident.
///   Discovery and autoregistration events (`EVENT.SOURCE` 1, 2) always trigger.
/// - Dedup key: `zabbix-event-<EVENT.ID>` (a recovery still carries the problem's `EVENT.ID`; `EVENT.RECOVERY.ID`
///   is never used), else `zabbix-uid-<alert_uid>` (the script's `ONCALL_GROUP: …`), else
///   `zabbix-trigger-<TRIGGER.ID>-<HOST.HOST>` (`zabbix-trigger-<TRIGGER.ID>` without a host), else nil.
/// - Severity: `EVENT.NSEVERITY` 0–5 beats the name in `EVENT.SEVERITY`, which administrators rename or translate.
/// - Values still reading `{MACRO}` (not valid for the operation) or `*UNKNOWN*` count as absent.
public struct ZabbixParser: AlertParser {
    /// `zabbix`.
    public let source = "zabbix"

    public init() {}

    /// The one alert in the body.
    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        guard case .object(let object) = try payload.value() else {
            throw ParseError("a Zabbix webhook body must be a JSON object of macro values (\"EVENT.ID\", \"EVENT.VALUE\", …)")
        }
        let fields = FlatFields(object, absent: ["*UNKNOWN*"])

        let group = fields.text("alert_uid") ?? Self.oncallGroup(in: fields.text("title", "ALERT.SUBJECT"))
        let eventID = fields.text("EVENT.ID", "eventid")
        let triggerID = fields.text("TRIGGER.ID", "triggerid")
        let host = fields.text("HOST.HOST", "HOST.NAME", "host", "hostname")
        let dedupKey: String? =
            if let eventID { "zabbix-event-\(eventID)" }
            else if let group { "zabbix-uid-\(group)" }
            else if let triggerID { host.map { "zabbix-trigger-\(triggerID)-\($0)" } ?? "zabbix-trigger-\(triggerID)" }
            else { nil }

        let title = AlertText.title(Self.withoutGroupMarker(fields.text("EVENT.NAME", "TRIGGER.NAME", "ALERT.SUBJECT", "title", "subject")))
        let description = AlertText.description(fields.text("ALERT.MESSAGE", "message", "TRIGGER.DESCRIPTION"))
        guard title != nil || dedupKey != nil || description != nil else {
            throw ParseError(
                "no Zabbix macro values found: expected EVENT.ID, EVENT.VALUE, EVENT.NAME, … (or the Grafana OnCall script's alert_uid, title, state)"
            )
        }

        return [NormalizedAlert(
            action: try Self.action(fields),
            dedupKey: dedupKey,
            title: title ?? eventID.map { "Zabbix event \($0)" } ?? "Zabbix alert",
            severity: Self.severity(fields),
            description: description,
            source: source,
            device: fields.text("HOST.NAME", "HOST.HOST", "host", "hostname"),
            links: Self.links(fields, eventID: eventID, triggerID: triggerID),
            details: Self.details(fields, group: group)
        )]
    }

    static func action(_ fields: FlatFields) throws(ParseError) -> NormalizedAlert.Action {
        if let source = fields.text("EVENT.SOURCE"), source == "1" || source == "2" { return .trigger }
        let isProblem: Bool
        if let value = fields.text("EVENT.VALUE") {
            switch value {
            case "1": isProblem = true
            case "0": isProblem = false
            default: throw ParseError("EVENT.VALUE is \"\(value)\": expected 1 (problem) or 0 (recovery)")
            }
        } else if let status = fields.text("EVENT.STATUS"), let problem = Self.isProblem(status: status) {
            isProblem = problem
        } else if fields.text("EVENT.RECOVERY.ID") != nil {
            isProblem = false
        } else if let state = fields.text("state", "status"), let problem = Self.isProblem(status: state) {
            isProblem = problem
        } else if let subject = fields.text("ALERT.SUBJECT", "title", "subject") {
            isProblem = !Self.isRecoverySubject(subject)
        } else {
            isProblem = true
        }
        guard isProblem else { return .resolve }
        let isUpdate = fields.text("EVENT.UPDATE.STATUS") == "1"
        let isAcknowledged = fields.text("EVENT.ACK.STATUS").map { ["yes", "true", "1"].contains($0.lowercased()) } ?? false
        return isUpdate && isAcknowledged ? .acknowledge : .trigger
    }

    /// `EVENT.STATUS` and the script's `state`: true for a problem, false for a recovery, nil when unknown.
    static func isProblem(status: String) -> Bool? {
        switch status.lowercased() {
        case "problem", "alerting", "firing", "1": true
        case "resolved", "ok", "recovered", "recovery", "0": false
        default: nil
        }
    }

    /// The Grafana OnCall script's own test: `RECOVERY`, `RECOVERED`, `OK` or anything starting `Resolved`.
    static func isRecoverySubject(_ subject: String) -> Bool {
        let s = subject.lowercased()
        return ["recover", "recovery", "recovered", "ok"].contains(s) || s.hasPrefix("resolved") || s.hasPrefix("ok:")
    }

    static func severity(_ fields: FlatFields) -> Severity {
        if let number = fields.text("EVENT.NSEVERITY", "TRIGGER.NSEVERITY", "nseverity").flatMap({ Int($0) }),
            let severity = SeverityText.zabbix(number)
        {
            return severity
        }
        if let name = fields.text("EVENT.SEVERITY", "TRIGGER.SEVERITY", "severity"), let severity = SeverityText.normalize(name) {
            return severity
        }
        return SeverityText.fallback
    }

    /// The problem's page in the frontend (`{$ZABBIX.URL}/tr_events.php?…`) and the trigger's own URL.
    static func links(_ fields: FlatFields, eventID: String?, triggerID: String?) -> [NormalizedAlert.Link] {
        var links: [NormalizedAlert.Link] = []
        if var base = fields.text("ZABBIX.URL", "zabbix_url").flatMap(Self.webURL), let eventID, let triggerID,
            Self.isNumber(eventID), Self.isNumber(triggerID)
        {
            while base.hasSuffix("/") { base.removeLast() }
            links.append(.init(url: "\(base)/tr_events.php?triggerid=\(triggerID)&eventid=\(eventID)", text: "Zabbix problem"))
        }
        if let url = fields.text("TRIGGER.URL", "trigger_url").flatMap(Self.webURL) {
            links.append(.init(url: url, text: "Trigger URL"))
        }
        return links
    }

    static func isNumber(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func webURL(_ text: String) -> String? {
        let lowered = text.lowercased()
        return lowered.hasPrefix("https://") || lowered.hasPrefix("http://") ? text : nil
    }

    static func details(_ fields: FlatFields, group: String?) -> [String: String] {
        var details: [String: String] = [:]
        for name in [
            "EVENT.ID", "EVENT.RECOVERY.ID", "TRIGGER.ID", "HOST.HOST", "HOST.IP", "EVENT.SEVERITY", "EVENT.OPDATA", "EVENT.TAGS",
            "EVENT.UPDATE.ACTION", "USER.FULLNAME",
        ] {
            if let value = fields.text(name) { details[name] = value }
        }
        if let group { details["alert_uid"] = group }
        return details
    }

    /// The id after `ONCALL_GROUP: ` in a subject (the Grafana OnCall script's grouping convention).
    static func oncallGroup(in subject: String?) -> String? {
        guard let subject, let marker = subject.firstRange(of: "ONCALL_GROUP:") else { return nil }
        let id = subject[marker.upperBound...].drop(while: { $0 == " " }).prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
        return id.isEmpty ? nil : String(id)
    }

    /// A subject without its `ONCALL_GROUP: <id>` marker.
    static func withoutGroupMarker(_ subject: String?) -> String? {
        guard let subject, let marker = subject.firstRange(of: "ONCALL_GROUP:") else { return subject }
        let rest = subject[marker.upperBound...].drop(while: { $0 == " " }).drop(while: { $0.isLetter || $0.isNumber || $0 == "_" })
        return (String(subject[..<marker.lowerBound]) + rest).trimmingWhitespace
    }
}
