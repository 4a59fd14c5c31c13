public import OnCallCore

/// The parser for each integration type.
public enum AlertParsers {
    /// Nil for `bridge` (a read-only key, not an alert source) and `heartbeat` (its requests are check-ins,
    /// whatever they carry).
    public static func parser(for type: Integration.Kind) -> (any AlertParser)? {
        switch type {
        case .bridge, .heartbeat: nil
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
