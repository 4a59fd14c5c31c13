public import OnCallCore

/// A Defend (EDR) escalation as DESIGN.md defines it: `tenant_id`, `threat_id`, `device_name`,
/// `mitre_technique {id, name}`, `severity` (critical|high|medium|low), `recommended_action`, `detected_at`.
public struct DefendEscalation: Sendable, Equatable {
    public var tenantID: String
    public var threatID: String
    public var deviceName: String?
    public var techniqueID: String?
    public var techniqueName: String?
    public var severity: Severity
    public var recommendedAction: String?
    public var detectedAt: String?

    /// Critical and high open incidents; anything lower is acknowledged to Defend and counted, nothing more.
    public var opensIncident: Bool { severity >= .high }

    /// Reads the body; a missing or wrong field is a ``ParseError`` naming it (422).
    public static func parse(_ body: [UInt8]) throws(ParseError) -> DefendEscalation {
        let value = try PayloadValue.decode(body: body, contentType: "application/json")
        guard value.object != nil else { throw ParseError("the body must be a JSON object") }
        guard let tenant = value["tenant_id"]?.nonEmptyText else { throw ParseError("tenant_id: required") }
        guard let threat = value["threat_id"]?.nonEmptyText else { throw ParseError("threat_id: required") }
        guard let severityText = value["severity"]?.nonEmptyText else { throw ParseError("severity: required (critical, high, medium or low)") }
        guard let severity = Severity(rawValue: severityText.lowercased()), severity != .info else {
            throw ParseError("severity: '\(severityText)' is not one of critical, high, medium, low")
        }
        let technique = value["mitre_technique"]
        if let technique, technique.object == nil, technique != .null { throw ParseError("mitre_technique: an object {id, name}") }
        return DefendEscalation(
            tenantID: tenant, threatID: threat, deviceName: value["device_name"]?.nonEmptyText, techniqueID: technique?["id"]?.nonEmptyText,
            techniqueName: technique?["name"]?.nonEmptyText, severity: severity, recommendedAction: value["recommended_action"]?.nonEmptyText,
            detectedAt: value["detected_at"]?.nonEmptyText
        )
    }

    /// The alert it becomes: keyed on the threat, titled with the technique and the device.
    public var alert: NormalizedAlert {
        let technique = [techniqueID, techniqueName].compactMap { $0 }.joined(separator: " ")
        let what = technique.isEmpty ? "Threat \(threatID)" : technique
        let title = AlertText.title(deviceName.map { "\(what) on \($0)" } ?? what) ?? "Defend threat \(threatID)"
        var lines: [String] = []
        if let recommendedAction { lines.append("Recommended action: \(recommendedAction)") }
        if let detectedAt { lines.append("Detected at: \(detectedAt)") }
        var details = ["threat_id": threatID]
        details["mitre_technique_id"] = techniqueID
        details["mitre_technique_name"] = techniqueName
        details["recommended_action"] = recommendedAction
        details["detected_at"] = detectedAt
        return NormalizedAlert(
            action: .trigger, dedupKey: "defend:\(threatID)", title: title, severity: severity,
            description: AlertText.description(lines.joined(separator: "\n")), source: "defend", device: deviceName,
            links: techniqueID.map { [NormalizedAlert.Link(url: "https://attack.mitre.org/techniques/\($0.replacingDots)/", text: "MITRE ATT&CK \($0)")] } ?? [],
            details: details
        )
    }
}

extension String {
    /// Sub-techniques are `T1486.001` in text and `T1486/001` in ATT&CK URLs.
    var replacingDots: String { String(map { $0 == "." ? "/" : $0 }) }
}
