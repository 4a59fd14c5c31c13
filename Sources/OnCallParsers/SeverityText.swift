public import OnCallCore

/// Severity words from every source, normalised to `critical > high > medium > low > info`.
public enum SeverityText {
    /// The severity a word or number names (case-insensitive, trimmed), nil when it names none.
    public static func normalize(_ text: String) -> Severity? {
        switch text.trimmingWhitespace.lowercased() {
        case "critical", "crit", "fatal", "emerg", "emergency", "alert", "page", "disaster", "p1", "sev1", "sev-1", "down": .critical
        case "error", "err", "high", "major", "p2", "sev2", "sev-2", "unknown", "unreachable": .high
        case "warning", "warn", "medium", "average", "p3", "sev3", "sev-3": .medium
        case "low", "minor", "notice", "p4", "sev4", "sev-4": .low
        case "info", "informational", "information", "debug", "none", "ok", "p5", "sev5", "sev-5", "not classified": .info
        default: nil
        }
    }

    /// Zabbix `EVENT.NSEVERITY`: 5 disaster … 0 not classified.
    public static func zabbix(_ number: Int) -> Severity? {
        switch number {
        case 5: .critical
        case 4: .high
        case 3, 2: .medium
        case 1, 0: .info
        default: nil
        }
    }

    /// Without any severity signal.
    public static let fallback: Severity = .medium
}
