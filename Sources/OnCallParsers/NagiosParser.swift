import OnCallCore

/// Nagios Core and Icinga notifications, in each shape they really arrive in:
/// - `pagerduty_nagios.pl`/`pagerduty_icinga.pl` forms: macro-named keys (`NOTIFICATIONTYPE`, `HOSTNAME`,
///   `SERVICEDESC`, `SERVICESTATE`, `SERVICEOUTPUT`, `LONGSERVICEOUTPUT`, `NOTIFICATIONAUTHOR`, `pd_nagios_object`, …),
///   with or without a `NAGIOS_`/`ICINGA_` prefix;
/// - hand-written curl JSON (`notification_type`, `host`, `service`, `state`, `output`/`message`, `author`, `comment`);
/// - Icinga 2 runtime macro names (`notification.type`, `host.name`, `service.name`, `service.state`, `service.output`),
///   flat or nested (`{"host":{"name":…}}`), and the ITL scripts' environment names (`SERVICENAME`, `HOSTALIAS`,
///   `NOTIFICATIONAUTHORNAME`);
/// - Icinga's event forwarding (icinga-notifications: `tags.host`, `tags.service`, `message`, `username`, `url`,
///   `type: acknowledgement`, `severity: ok|warning|crit|err`), JSON sent as a form by `curl -d`.
///
/// Names are matched ignoring case and punctuation, so `host.name`, `HOSTNAME` and `host_name` are one field.
/// Values that are still macros (`$SERVICEDESC$`, `$host.name$`) count as absent.
///
/// The dedup key is the host, or `host/service` for a service: the same for PROBLEM, ACKNOWLEDGEMENT and RECOVERY
/// (never the problem id, which is 0 on recovery, nor the output). Severity: CRITICAL and DOWN are critical,
/// UNKNOWN and UNREACHABLE high, WARNING medium, OK and UP info; an explicit `severity` field wins.
///
/// Notification types:
/// - PROBLEM, CUSTOM (an operator asked to notify): trigger.
/// - ACKNOWLEDGEMENT: acknowledge.
/// - RECOVERY: resolve.
/// - FLAPPINGSTART: trigger, at least medium (flapping is a problem even when the last check was OK).
/// - FLAPPINGSTOP, FLAPPINGEND (Icinga), FLAPPINGDISABLED: resolve, unless the state they carry is still a problem
///   (WARNING, CRITICAL, UNKNOWN, DOWN, UNREACHABLE): then trigger, so a live problem is not closed.
/// - DOWNTIMESTART: resolve, as PagerDuty's Nagios integration does: notifications, recoveries included, are
///   silenced during downtime, so an incident left open would never be closed; if the thing is still broken
///   afterwards Nagios notifies again and a new incident opens.
/// - DOWNTIMEEND, DOWNTIMECANCELLED, DOWNTIMEREMOVED, ACKNOWLEDGEMENT-CLEARED: no alert (an empty array).
/// - Missing or unknown type: from the state (OK/UP resolve, anything else triggers).
public struct NagiosParser: AlertParser {
    public let source: String

    public init() {
        self.init(source: "nagios")
    }

    init(source: String) {
        self.source = source
    }

    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        var fields = MacroFields()
        if !payload.hasBlankBody {
            let value = try payload.value()
            guard case .object(let object) = value else {
                throw ParseError(
                    "a Nagios/Icinga notification is a form (NOTIFICATIONTYPE=…&HOSTNAME=…) or one JSON object, not \(value.kindDescription)"
                )
            }
            fields.add(object)
        } else if payload.query.isEmpty {
            throw ParseError("the body is empty: a Nagios/Icinga notification needs at least HOSTNAME")
        }
        fields.add(payload.query.mapValues { .string($0) })
        guard let alert = try notification(fields) else { return [] }
        return [alert]
    }

    private func notification(_ fields: MacroFields) throws(ParseError) -> NormalizedAlert? {
        guard let host = fields["hostname", "servicehostname", "tagshost", "host", "hostalias", "hostdisplayname"] else {
            let sent = fields.names.sorted().prefix(20).joined(separator: ", ")
            throw ParseError(
                "no host name: a Nagios/Icinga notification needs HOSTNAME (or host, host.name, tags.host); "
                    + (sent.isEmpty ? "no field had a value" : "fields with a value: \(sent)")
            )
        }
        let kind = fields["pdnagiosobject", "objecttype", "notificationkind", "kind", "object", "type"]?.lowercased()
        let service = kind == "host" ? nil : fields["servicedesc", "servicename", "tagsservice", "service", "servicedescription", "servicedisplayname"]
        let isService = service != nil
        let forwarded = fields["tagshost"] != nil  // icinga-notifications' event forwarding

        let typeText = fields.all(["notificationtype", "type", "eventtype"]).first { !["host", "service"].contains($0.lowercased()) }
        let type = typeText.map { $0.uppercased().filter(\.isLetter) }
        let isAcknowledgement = type.map { Self.acknowledgementTypes.contains($0) } ?? false

        let prefix = isService ? "service" : "host"
        let state = stateWord(fields, prefix: prefix, isService: isService)

        // Forwarded acknowledgements carry the comment in `message` and the author in `username`.
        let commentText = fields["notificationcomment", "\(prefix)ackcomment", "comment"] ?? (forwarded && isAcknowledgement ? fields["message"] : nil)
        let author = fields["notificationauthor", "notificationauthorname", "notificationauthoralias", "\(prefix)ackauthor", "author", "username"]
        let output = fields["\(prefix)output", "output", "pluginoutput"] ?? (forwarded && isAcknowledgement ? nil : fields["message", "text"])
        let longOutput = fields["long\(prefix)output", "\(prefix)longoutput", "longoutput", "longmessage"]
            .map { $0.split(separator: "\\n", omittingEmptySubsequences: false).joined(separator: "\n") }  // Nagios escapes its newlines

        var severity = fields.all(["severity"]).lazy.compactMap(SeverityText.normalize).first ?? state.flatMap(Self.severity) ?? SeverityText.fallback

        let action: NormalizedAlert.Action
        var stateForTitle = state
        switch type ?? "" {
        case "PROBLEM", "CUSTOM":
            action = .trigger
        case "RECOVERY":
            action = .resolve
        case let type where Self.acknowledgementTypes.contains(type):
            action = .acknowledge
        case "FLAPPINGSTART":
            action = .trigger
            severity = max(severity, SeverityText.fallback)
            stateForTitle = "FLAPPING"
        case "FLAPPINGSTOP", "FLAPPINGEND", "FLAPPINGDISABLED":
            action = state.map(Self.problemStates.contains) == true ? .trigger : .resolve
        case "DOWNTIMESTART":
            action = .resolve
            stateForTitle = "IN DOWNTIME"
        case "DOWNTIMEEND", "DOWNTIMECANCELLED", "DOWNTIMEREMOVED", "ACKNOWLEDGEMENTCLEARED", "ACKNOWLEDGEMENTREMOVED":
            return nil
        default:
            action = state == "OK" || state == "UP" ? .resolve : .trigger
        }

        let subject = service.map { "\(host)/\($0)" } ?? host
        let outputLines = (output ?? "").nonEmptyLines
        var title = subject
        if let stateForTitle {
            title += " is \(stateForTitle)"
        } else if isAcknowledgement {
            title += " acknowledged" + (author.map { " by \($0)" } ?? "")
        }
        if let first = outputLines.first { title += ": \(first)" }

        var paragraphs: [String] = []
        if outputLines.count > 1, let output { paragraphs.append(output) }
        if let longOutput { paragraphs.append(longOutput) }
        if let commentText { paragraphs.append(author.map { "Comment by \($0): \(commentText)" } ?? commentText) }

        var details: [String: String] = [:]
        details["service"] = service
        details["state"] = state ?? fields["\(prefix)state", "state"]
        details["notification_type"] = typeText
        details["author"] = author
        details["comment"] = commentText
        details["state_type"] = fields["\(prefix)statetype", "statetype"]
        details["address"] = fields["hostaddress", "address"]
        details["date_time"] = fields["longdatetime", "icingalongdatetime", "datetime", "time"]
        details["server"] = fields["server"]
        let displayName = forwarded ? fields["name"] : (isService ? fields["servicedisplayname"] : fields["hostdisplayname", "hostalias"])
        if let displayName, displayName != host, displayName != service { details["display_name"] = displayName }
        if let current = fields["\(prefix)problemid"], current != "0" {
            details["problem_id"] = current
        } else if let last = fields["last\(prefix)problemid"], last != "0" {
            details["problem_id"] = last
        }

        var links = LinkList()
        links.add(fields["url"] ?? "", text: forwarded ? "Icinga Web" : nil)
        for (name, text) in [
            ("\(prefix)infourl", "Details"), ("\(prefix)notesurl", "Notes"), ("\(prefix)actionurl", "Action"),
            ("hostinfourl", "Host details"), ("hostnotesurl", "Host notes"), ("hostactionurl", "Host action"),
        ] {
            if let url = fields[name] { links.add(url, text: text) }
        }

        return NormalizedAlert(
            action: action,
            dedupKey: subject,
            title: AlertText.title(title) ?? subject,
            severity: severity,
            description: AlertText.description(paragraphs.joined(separator: "\n\n")),
            source: source,
            device: host,
            links: links.links,
            details: details
        )
    }

    /// The object's state word (OK, WARNING, CRITICAL, UNKNOWN, UP, DOWN, UNREACHABLE), from its state, its
    /// state id, or a forwarded event's severity.
    private func stateWord(_ fields: MacroFields, prefix: String, isService: Bool) -> String? {
        let words: Set<String> = ["OK", "WARNING", "CRITICAL", "UNKNOWN", "UP", "DOWN", "UNREACHABLE"]
        for text in fields.all(["\(prefix)state", "state", "status"]) where words.contains(text.uppercased()) {
            return text.uppercased()
        }
        let byID = isService ? ["0": "OK", "1": "WARNING", "2": "CRITICAL", "3": "UNKNOWN"] : ["0": "UP", "1": "DOWN", "2": "UNREACHABLE"]
        if let id = fields["\(prefix)stateid", "stateid"], let word = byID[id] { return word }
        // icinga-notifications: services ok/warning/crit/err, hosts crit (DOWN) or ok.
        switch fields["severity"].flatMap(SeverityText.normalize) {
        case .critical?: return isService ? "CRITICAL" : "DOWN"
        case .high?: return isService ? "UNKNOWN" : "UNREACHABLE"
        case .medium?: return isService ? "WARNING" : nil
        case .info?: return isService ? "OK" : "UP"
        default: return nil
        }
    }

    static func severity(_ state: String) -> Severity? {
        switch state {
        case "CRITICAL", "DOWN": .critical
        case "UNKNOWN", "UNREACHABLE": .high
        case "WARNING": .medium
        case "OK", "UP": .info
        default: nil
        }
    }

    static let problemStates: Set<String> = ["WARNING", "CRITICAL", "UNKNOWN", "DOWN", "UNREACHABLE"]
    static let acknowledgementTypes: Set<String> = ["ACKNOWLEDGEMENT", "ACKNOWLEDGMENT", "ACKNOWLEDGEMENTSET", "ACK"]
}

/// A notification's fields under canonical names: lower-cased, without a `NAGIOS_`/`ICINGA_` prefix, letters and
/// digits only (`host.name`, `HOSTNAME`, `host_name` and `{"host":{"name":…}}` are all `hostname`). Only usable
/// text is kept: empty values and unexpanded macros are dropped.
struct MacroFields {
    private var values: [String: String] = [:]

    var names: Dictionary<String, String>.Keys { values.keys }

    /// Adds the fields not already present (so the first source added wins).
    mutating func add(_ object: [String: PayloadValue]) {
        add(object, prefix: "", depth: 0)
    }

    private mutating func add(_ object: [String: PayloadValue], prefix: String, depth: Int) {
        // Sorted, so that of `HOSTNAME` and `NAGIOS_HOSTNAME` the plain one wins every time.
        for key in object.keys.sorted() {
            let name = prefix + Self.canonical(key, topLevel: depth == 0)
            switch object[key] {
            case .object(let inner)? where depth < 4:
                add(inner, prefix: name, depth: depth + 1)
            case let value?:
                if values[name] == nil, let text = value.scalarText { values[name] = text }
            case nil:
                break
            }
        }
    }

    /// The first present of `names` (canonical).
    subscript(_ names: String...) -> String? {
        names.lazy.compactMap { values[$0] }.first
    }

    /// Every present one of `names`, in order.
    func all(_ names: [String]) -> [String] {
        names.compactMap { values[$0] }
    }

    static func canonical(_ key: String, topLevel: Bool) -> String {
        var name = Substring(key.lowercased())
        if topLevel {
            for prefix in ["nagios_", "icinga_"] where name.hasPrefix(prefix) {
                name = name.dropFirst(prefix.count)
            }
        }
        return String(name.filter { $0.isLetter || $0.isNumber })
    }
}

extension AlertText {
    /// ``isUnexpandedMacro(_:)``, plus Icinga 2's lower-case runtime macros (`$host.name$`, `$service.output$`).
    static func isUnexpandedMacroAnyCase(_ text: String) -> Bool {
        if isUnexpandedMacro(text) { return true }
        let t = text.trimmingWhitespace
        guard t.count >= 3, t.hasPrefix("$"), t.hasSuffix("$") else { return false }
        return t.dropFirst().dropLast().allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") }
    }
}
