public import OnCallCore

/// The parser for each integration type.
public enum AlertParsers {
    /// Nil for `bridge` (a read-only key, not an alert source).
    public static func parser(for type: Integration.Kind) -> (any AlertParser)? {
        switch type {
        case .bridge: nil
        case .generic: GenericParser()
        case .nagios: NagiosParser()
        case .icinga: IcingaParser()
        case .zabbix: ZabbixParser()
        case .datadog: DatadogParser()
        case .pagerduty: PagerDutyParser()
        case .alertmanager: AlertmanagerParser()
        case .grafana: GrafanaParser()
        }
    }
}
