public import OnCallCore

/// A message on The One Stack's bus: a CloudEvents 1.0 JSON envelope (docs/bus.md) with the tenant as the
/// `tenantid` extension attribute.
public struct BusEvent: Sendable, Equatable {
    public var id: String
    public var type: String
    public var source: String
    public var subject: String?
    public var time: String?
    public var tenantID: String?
    public var data: PayloadValue

    /// Reads an envelope; `specversion` must be 1.0 and `id`, `type`, `source` present.
    public static func decode(_ body: [UInt8]) throws(ParseError) -> BusEvent {
        let value = try PayloadValue.decode(body: body, contentType: "application/json")
        guard value.object != nil else { throw ParseError("a CloudEvents envelope is a JSON object") }
        guard value["specversion"]?.text == "1.0" else { throw ParseError("specversion: must be \"1.0\"") }
        guard let id = value["id"]?.nonEmptyText else { throw ParseError("id: required") }
        guard let type = value["type"]?.nonEmptyText else { throw ParseError("type: required") }
        guard let source = value["source"]?.nonEmptyText else { throw ParseError("source: required") }
        return BusEvent(
            id: id, type: type, source: source, subject: value["subject"]?.nonEmptyText, time: value["time"]?.nonEmptyText,
            tenantID: value["tenantid"]?.nonEmptyText, data: value["data"] ?? .null
        )
    }

    /// What On-Call does with a message.
    public enum Decision: Sendable, Equatable {
        /// Open, fold into, or resolve an incident on the tenant's route for this product.
        case alert(NormalizedAlert, route: Routes.Source)
        /// A message of ours to drop, counted (a Security event below high, an RMM alert below the threshold).
        case dropped(String)
        /// Not a type On-Call consumes (another product's traffic on the same bus).
        case ignored
    }

    /// RMM alerts at or above `rmmThreshold` (critical by default), Security events at high and critical, and
    /// every Backups failure become incidents; their clear/resolved/succeeded messages resolve them.
    public func decision(rmmThreshold: Severity = .critical) throws(ParseError) -> Decision {
        guard data.object != nil else {
            return Self.consumed.contains(type) ? .dropped("data is not an object") : .ignored
        }
        switch type {
        case Self.rmmRaised, Self.rmmCleared:
            guard let alertID = data["alert_id"]?.nonEmptyText else { throw ParseError("data.alert_id: required") }
            let key = "rmm:\(alertID)"
            if type == Self.rmmCleared { return .alert(resolve(key, source: "rmm"), route: .rmm) }
            let severity = try severity(required: true) ?? .medium
            guard severity >= rmmThreshold else { return .dropped("rmm alert below \(rmmThreshold.rawValue)") }
            let device = data["device_name"]?.nonEmptyText
            let title = AlertText.title(data["title"]?.nonEmptyText).map { t in device.map { "\(t) on \($0)" } ?? t } ?? "RMM alert \(alertID)"
            return .alert(trigger(key, title: title, severity: severity, source: "rmm", device: device, details: ["alert_id": alertID, "device_id": data["device_id"]?.nonEmptyText]), route: .rmm)
        case Self.securityDetected, Self.securityResolved:
            guard let eventID = data["event_id"]?.nonEmptyText else { throw ParseError("data.event_id: required") }
            let key = "security:\(eventID)"
            if type == Self.securityResolved { return .alert(resolve(key, source: "security"), route: .security) }
            let severity = try severity(required: true) ?? .medium
            guard severity >= .high else { return .dropped("security event of \(severity.rawValue) severity (only critical and high open incidents)") }
            let title = AlertText.title(data["title"]?.nonEmptyText) ?? "Security event \(eventID)"
            return .alert(trigger(key, title: title, severity: severity, source: "security", device: data["account"]?.nonEmptyText,
                                  details: ["event_id": eventID, "category": data["category"]?.nonEmptyText]), route: .security)
        case Self.backupsFailed, Self.backupsSucceeded:
            guard let jobID = data["job_id"]?.nonEmptyText else { throw ParseError("data.job_id: required") }
            let key = "backups:\(jobID)"
            if type == Self.backupsSucceeded { return .alert(resolve(key, source: "backups"), route: .backups) }
            // Every failure opens an incident, whatever its severity (a failed backup is never noise).
            let severity = try severity(required: false) ?? .high
            let name = data["job_name"]?.nonEmptyText ?? jobID
            let device = data["device_name"]?.nonEmptyText
            let title = "Backup failed: \(name)" + (device.map { " on \($0)" } ?? "")
            return .alert(trigger(key, title: AlertText.title(title) ?? title, severity: severity, source: "backups", device: device,
                                  details: ["job_id": jobID, "error": data["error"]?.nonEmptyText]), route: .backups)
        default:
            return .ignored
        }
    }

    public static let rmmRaised = "com.theonestack.rmm.alert.raised"
    public static let rmmCleared = "com.theonestack.rmm.alert.cleared"
    public static let securityDetected = "com.theonestack.security.event.detected"
    public static let securityResolved = "com.theonestack.security.event.resolved"
    public static let backupsFailed = "com.theonestack.backups.job.failed"
    public static let backupsSucceeded = "com.theonestack.backups.job.succeeded"
    /// Every type On-Call consumes.
    public static let consumed: Set<String> = [rmmRaised, rmmCleared, securityDetected, securityResolved, backupsFailed, backupsSucceeded]

    func severity(required: Bool) throws(ParseError) -> Severity? {
        guard let text = data["severity"]?.nonEmptyText else {
            if required { throw ParseError("data.severity: required (critical, high, medium, low, info)") }
            return nil
        }
        guard let severity = SeverityText.normalize(text) else { throw ParseError("data.severity: '\(text)' is not a severity") }
        return severity
    }

    func trigger(_ key: String, title: String, severity: Severity, source: String, device: String?, details: [String: String?]) -> NormalizedAlert {
        var flat = details.compactMapValues { $0 }
        flat["bus_message_id"] = id
        return NormalizedAlert(
            action: .trigger, dedupKey: key, title: title, severity: severity, description: AlertText.description(data["description"]?.nonEmptyText),
            source: source, device: device, details: flat
        )
    }

    func resolve(_ key: String, source: String) -> NormalizedAlert {
        NormalizedAlert(action: .resolve, dedupKey: key, title: "resolved", severity: .info, source: source, details: ["bus_message_id": id])
    }
}
