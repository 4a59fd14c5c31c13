// OnCallParsers: inbound payload → NormalizedAlert, one pure file per source (Nagios, Zabbix, Datadog, …).
// Empty until the alert-ingestion issue; it imports nothing but OnCallCore, and must stay that way.
