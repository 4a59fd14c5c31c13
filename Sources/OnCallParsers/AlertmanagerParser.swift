import OnCallCore

/// Prometheus Alertmanager's webhook receiver (`version: "4"`).
///
/// - `.perGroup` (default): one alert per notification, dedup key `alertmanager:<groupKey>` (the same for the
///   group's firing and resolved notifications). `status: firing` triggers, even when some alerts have resolved
///   (the incident stays open; the counts are in `details`); `status: resolved` resolves. Severity is the
///   highest `severity` (or `priority`) label among the firing alerts, else the common labels', else medium.
/// - `.perAlert`: one alert per entry, dedup key `alertmanager:fingerprint:<fingerprint>`, action from the
///   alert's own status.
///
/// Without a groupKey the key is `alertmanager:` plus the group labels as a label set; without a fingerprint,
/// `alertmanager:labels:` plus the alert's label set.
public struct AlertmanagerParser: AlertParser {
    public let source = "alertmanager"
    static let keyPrefix = "alertmanager:"

    public init() {}

    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        let group = try AlertGroup(try payload.value(), tool: "Alertmanager")
        switch payload.options.grouping {
        case .perGroup: return [groupAlert(group)]
        case .perAlert: return group.alerts.map { alert(for: $0, in: group) }
        }
    }

    func groupAlert(_ group: AlertGroup) -> NormalizedAlert {
        let summary = AlertText.title(AlertGroup.annotation("summary", in: group.commonAnnotations))
        let title = summary
            ?? AlertText.title(group.labelTitle)
            ?? AlertText.title(group.receiver.map { "Alertmanager alerts for \($0)" })
            ?? "Alertmanager alerts"
        let ordered = group.firing + group.resolved
        var links = AlertGroup.runbookLinks([group.commonAnnotations] + ordered.map(\.annotations))
        links += ordered.compactMap(\.generatorURL).map { NormalizedAlert.Link(url: $0, text: "Source") }
        if let external = group.externalURL { links.append(NormalizedAlert.Link(url: external, text: "Alertmanager")) }
        return NormalizedAlert(
            action: group.isFiring ? .trigger : .resolve,
            dedupKey: group.dedupKey(prefix: Self.keyPrefix),
            title: title,
            severity: group.severity,
            description: group.description(summaryIsTitle: summary != nil),
            source: source,
            device: group.device,
            links: links.deduplicated(),
            details: group.details
        )
    }

    func alert(for alert: AlertGroup.Member, in group: AlertGroup) -> NormalizedAlert {
        var links = AlertGroup.runbookLinks([alert.annotations])
        if let generator = alert.generatorURL { links.append(NormalizedAlert.Link(url: generator, text: "Source")) }
        if let external = group.externalURL { links.append(NormalizedAlert.Link(url: external, text: "Alertmanager")) }
        return NormalizedAlert(
            action: alert.isFiring ? .trigger : .resolve,
            dedupKey: AlertGroup.dedupKey(of: alert, prefix: Self.keyPrefix),
            title: AlertText.title(AlertGroup.title(of: alert)) ?? AlertText.title(group.labelTitle) ?? "Alertmanager alert",
            severity: AlertGroup.severity(of: alert.labels) ?? SeverityText.fallback,
            description: AlertText.description(AlertGroup.annotation("description", in: alert.annotations)),
            source: source,
            device: AlertGroup.device(in: alert.labels),
            links: links.deduplicated(),
            details: AlertGroup.details(of: alert, in: group)
        )
    }
}
