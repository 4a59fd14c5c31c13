public import OnCallCore

/// One alert as every source's parser hands it on: what to do, to which thing (the dedup key), how bad.
public struct NormalizedAlert: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable, CaseIterable {
        case trigger, acknowledge, resolve
    }

    /// A link the source gave (runbook, dashboard, the tool's own page for the alert).
    public struct Link: Sendable, Equatable {
        public var url: String
        public var text: String?
        public init(url: String, text: String? = nil) {
            self.url = url
            self.text = text
        }
    }

    public var action: Action
    /// The stable identity of the thing alerting (host + service, trigger id, group key, the sender's key):
    /// the same for its trigger, acknowledge and resolve; never derived from summary text. Nil when the source
    /// gives none (each trigger then opens its own incident; an acknowledge or resolve matches nothing).
    public var dedupKey: String?
    public var title: String
    public var severity: Severity
    public var description: String?
    /// The source type (`nagios`, `zabbix`, `generic`, …).
    public var source: String
    /// The device or host the alert is about, when the source says.
    public var device: String?
    public var links: [Link]
    /// A few source-specific facts worth showing (service name, monitor id, labels), flat text.
    public var details: [String: String]

    public init(
        action: Action, dedupKey: String?, title: String, severity: Severity, description: String? = nil, source: String,
        device: String? = nil, links: [Link] = [], details: [String: String] = [:]
    ) {
        // Every parser's output passes here: no NUL reaches the database (StoredText).
        self.action = action
        self.dedupKey = StoredText.clean(dedupKey)
        self.title = StoredText.clean(title)
        self.severity = severity
        self.description = StoredText.clean(description)
        self.source = source
        self.device = StoredText.clean(device)
        self.links = links.map { Link(url: StoredText.clean($0.url), text: StoredText.clean($0.text)) }
        self.details = details.contains { $0.key.utf8.contains(0) || $0.value.utf8.contains(0) }
            ? Dictionary(details.map { (StoredText.clean($0.key), StoredText.clean($0.value)) }, uniquingKeysWith: { first, _ in first })
            : details
    }
}
