public import Foundation
public import OnCallCore
public import PostgresNIO

extension DomainStore {
    /// A tenant's whole set-up as stored, or nil when the tenant does not exist.
    public func load(tenantID: String) async throws -> StoredTenant? {
        try await client.withConnection { connection in
            try await Self.load(tenantID: tenantID, on: connection, logger: logger)
        }
    }

    /// Every tenant id, in order.
    public func tenantIDs() async throws -> [String] {
        var ids: [String] = []
        for try await id in try await client.query("SELECT id FROM tenants ORDER BY id", logger: logger).decode(String.self) { ids.append(id) }
        return ids
    }

    static func load(tenantID: String, on connection: PostgresConnection, logger: Logger) async throws -> StoredTenant? {
        var tenant: TenantConfiguration?
        for try await (name, rmm) in try await connection.query(
            "SELECT name, settings->>'rmm_min_severity' FROM tenants WHERE id = \(tenantID)", logger: logger
        ).decode((String, String?).self) {
            tenant = TenantConfiguration(id: tenantID, name: name, settings: TenantSettings(rmmMinimumSeverity: rmm.flatMap(Severity.init(rawValue:)) ?? .critical))
        }
        guard var tenant else { return nil }

        var methods: [String: [ContactMethod]] = [:]
        for try await (technician, id, type, address) in try await connection.query(
            "SELECT technician_id, id, type, address FROM contact_methods WHERE tenant_id = \(tenantID) ORDER BY technician_id, position, id", logger: logger
        ).decode((String, String, String, String).self) {
            methods[technician, default: []].append(ContactMethod(id: id, type: ContactMethod.Kind(rawValue: type) ?? .webhook, address: address))
        }
        var rules: [String: [NotificationRule]] = [:]
        for try await (technician, method, delay) in try await connection.query(
            "SELECT technician_id, contact_method_id, delay_seconds FROM notification_rules WHERE tenant_id = \(tenantID) ORDER BY technician_id, position", logger: logger
        ).decode((String, String, Int32).self) {
            rules[technician, default: []].append(NotificationRule(contactMethod: method, delay: .seconds(Int64(delay))))
        }
        var provisioned: Set<String> = []
        for try await (id, name, email, hubUser, role, zone, provisionedAt) in try await connection.query(
            "SELECT id, name, email, hub_user_id, role, time_zone, provisioned_at FROM technicians WHERE tenant_id = \(tenantID) ORDER BY id", logger: logger
        ).decode((String, String, String?, String?, String, String?, Date?).self) {
            if provisionedAt != nil { provisioned.insert(id) }
            tenant.technicians.append(Technician(
                id: id, name: name, email: email, hubUserID: hubUser, role: HubRole(rawValue: role) ?? .member, timeZone: zone,
                contactMethods: methods[id] ?? [], notificationRules: rules[id] ?? []
            ))
        }

        for try await (id, name, zone, layers, overrides) in try await connection.query(
            "SELECT id, name, time_zone, layers::text, overrides::text FROM schedules WHERE tenant_id = \(tenantID) ORDER BY id", logger: logger
        ).decode((String, String, String, String, String).self) {
            tenant.schedules.append(try StoredSchedule.decode(id: id, name: name, timeZone: zone, layers: layers, overrides: overrides))
        }

        var targets: [String: [Int: [EscalationTarget]]] = [:]
        for try await (policy, position, type, target) in try await connection.query(
            "SELECT policy_id, position, target_type, target_id FROM escalation_targets WHERE tenant_id = \(tenantID) ORDER BY policy_id, position, ordinal, target_id",
            logger: logger
        ).decode((String, Int32, String, String).self) {
            targets[policy, default: [:]][Int(position), default: []].append(type == "schedule" ? .schedule(target) : .technician(target))
        }
        var layers: [String: [EscalationLayer]] = [:]
        for try await (policy, position, delay) in try await connection.query(
            "SELECT policy_id, position, delay_seconds FROM escalation_layers WHERE tenant_id = \(tenantID) ORDER BY policy_id, position", logger: logger
        ).decode((String, Int32, Int32).self) {
            layers[policy, default: []].append(EscalationLayer(delay: .seconds(Int64(delay)), targets: targets[policy]?[Int(position)] ?? []))
        }
        for try await (id, name, repeatCount) in try await connection.query(
            "SELECT id, name, repeat_count FROM escalation_policies WHERE tenant_id = \(tenantID) ORDER BY id", logger: logger
        ).decode((String, String, Int32).self) {
            tenant.escalationPolicies.append(EscalationPolicy(id: id, name: name, repeatCount: Int(repeatCount), layers: layers[id] ?? []))
        }

        var windows: [String: [MaintenanceWindow]] = [:]
        for try await (service, start, end, zone) in try await connection.query(
            "SELECT service_id, starts_local, ends_local, time_zone FROM maintenance_windows WHERE tenant_id = \(tenantID) ORDER BY service_id, position", logger: logger
        ).decode((String, String, String, String).self) {
            guard let start = LocalDateTime(start), let end = LocalDateTime(end) else { continue }
            windows[service, default: []].append(MaintenanceWindow(start: start, end: end, timeZone: zone))
        }
        for try await (id, name, policy, workflow, ack, autoResolve, pageLow) in try await connection.query(
            "SELECT id, name, escalation_policy_id, workflow, ack_timeout_seconds, auto_resolve_seconds, page_low_severity FROM services WHERE tenant_id = \(tenantID) ORDER BY id",
            logger: logger
        ).decode((String, String, String, String, Int32?, Int32?, Bool).self) {
            tenant.services.append(Service(
                id: id, name: name, escalationPolicy: policy, workflow: workflow, ackTimeout: ack.map { .seconds(Int64($0)) },
                autoResolve: autoResolve.map { .seconds(Int64($0)) }, pageLowSeverity: pageLow, maintenanceWindows: windows[id] ?? []
            ))
        }

        for try await (source, service) in try await connection.query(
            "SELECT source, service_id FROM routes WHERE tenant_id = \(tenantID)", logger: logger
        ).decode((String, String).self) {
            if let source = Routes.Source(rawValue: source) { tenant.routes[source] = service }
        }

        var integrations: [IntegrationRecord] = []
        for try await (id, type, service, webhook, hint, created, rotated, options) in try await connection.query(
            "SELECT id, type, service_id, webhook_id, key_hint, created_at, key_rotated_at, options::text FROM integrations WHERE tenant_id = \(tenantID) ORDER BY id",
            logger: logger
        ).decode((String, String, String?, String, String, Date, Date, String).self) {
            let integration = StoredIntegrationOptions.integration(id: id, type: type, service: service, options: options)
            tenant.integrations.append(integration)
            integrations.append(IntegrationRecord(
                tenantID: tenantID, integration: integration, webhookID: webhook, keyHint: hint, createdAt: Timestamp(created), keyRotatedAt: Timestamp(rotated)
            ))
        }
        return StoredTenant(configuration: tenant, integrations: integrations, provisioned: provisioned)
    }
}
