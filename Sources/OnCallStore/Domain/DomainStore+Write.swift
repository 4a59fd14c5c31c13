import Foundation
import Logging
import OnCallCore
import PostgresNIO

extension DomainStore {
    /// Writes `changes` so the tenant becomes `target`: creations and updates in dependency order (technicians,
    /// schedules, policies, services, routes, integrations), then deletions in the reverse order. Existing
    /// integrations in `newKeys` get the file's key, or a generated one that is returned (shown once).
    static func write(
        _ changes: [ConfigurationChange], target: TenantConfiguration, current: StoredTenant?, newKeys: Set<String>,
        on tx: PostgresConnection, logger: Logger
    ) async throws -> [IssuedKey] {
        let tenantID = target.id
        func ids(_ kind: ConfigurationChange.Kind, _ actions: Set<ConfigurationChange.Action>) -> Set<String> {
            Set(changes.filter { $0.kind == kind && actions.contains($0.action) }.map(\.id))
        }
        let upsert: Set<ConfigurationChange.Action> = [.create, .update]

        if changes.contains(where: { $0.kind == .tenant }) {
            try await tx.query(
                """
                INSERT INTO tenants (id, name, settings) VALUES (\(tenantID), \(target.name), \(#"{"rmm_min_severity":"\#(target.settings.rmmMinimumSeverity.rawValue)"}"#)::jsonb)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, settings = excluded.settings, updated_at = now()
                """,
                logger: logger
            )
        }

        // Technicians: contact methods of every technician that changes go first, so ids may move between them.
        let technicians = ids(.technician, upsert)
        for id in technicians.union(ids(.technician, [.delete])).sorted() {
            try await tx.query("DELETE FROM contact_methods WHERE tenant_id = \(tenantID) AND technician_id = \(id)", logger: logger)
        }
        for technician in target.technicians where technicians.contains(technician.id) {
            try await tx.query(
                """
                INSERT INTO technicians (tenant_id, id, name, email, hub_user_id, role, time_zone)
                VALUES (\(tenantID), \(technician.id), \(technician.name), \(technician.email), \(technician.hubUserID), \(technician.role.rawValue), \(technician.timeZone))
                ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, email = excluded.email, hub_user_id = excluded.hub_user_id,
                    role = excluded.role, time_zone = excluded.time_zone, updated_at = now()
                """,
                logger: logger
            )
            for (position, method) in technician.contactMethods.enumerated() {
                try await tx.query(
                    """
                    INSERT INTO contact_methods (tenant_id, id, technician_id, type, address, position)
                    VALUES (\(tenantID), \(method.id), \(technician.id), \(method.type.rawValue), \(method.address), \(position))
                    """,
                    logger: logger
                )
            }
            for (position, rule) in technician.notificationRules.enumerated() {
                try await tx.query(
                    """
                    INSERT INTO notification_rules (tenant_id, technician_id, position, contact_method_id, delay_seconds)
                    VALUES (\(tenantID), \(technician.id), \(position), \(rule.contactMethod), \(Int32(rule.delay.components.seconds)))
                    """,
                    logger: logger
                )
            }
        }

        let schedules = ids(.schedule, upsert)
        for schedule in target.schedules where schedules.contains(schedule.id) {
            let json = StoredSchedule.encode(schedule)
            try await tx.query(
                """
                INSERT INTO schedules (tenant_id, id, name, time_zone, layers, overrides)
                VALUES (\(tenantID), \(schedule.id), \(schedule.name), \(schedule.timeZone), \(json.layers)::jsonb, \(json.overrides)::jsonb)
                ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, layers = excluded.layers,
                    overrides = excluded.overrides, updated_at = now()
                """,
                logger: logger
            )
        }

        let policies = ids(.escalationPolicy, upsert)
        for policy in target.escalationPolicies where policies.contains(policy.id) {
            try await tx.query(
                """
                INSERT INTO escalation_policies (tenant_id, id, name, repeat_count) VALUES (\(tenantID), \(policy.id), \(policy.name), \(policy.repeatCount))
                ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, repeat_count = excluded.repeat_count
                """,
                logger: logger
            )
            try await tx.query("DELETE FROM escalation_layers WHERE tenant_id = \(tenantID) AND policy_id = \(policy.id)", logger: logger)
            for (index, layer) in policy.layers.enumerated() {
                try await tx.query(
                    """
                    INSERT INTO escalation_layers (tenant_id, policy_id, position, delay_seconds)
                    VALUES (\(tenantID), \(policy.id), \(index + 1), \(Int32(layer.delay.components.seconds)))
                    """,
                    logger: logger
                )
                for (ordinal, target) in layer.targets.enumerated() {
                    try await tx.query(
                        """
                        INSERT INTO escalation_targets (tenant_id, policy_id, position, target_type, target_id, ordinal)
                        VALUES (\(tenantID), \(policy.id), \(index + 1), \(target.kind), \(target.id), \(ordinal))
                        ON CONFLICT DO NOTHING
                        """,
                        logger: logger
                    )
                }
            }
        }

        let services = ids(.service, upsert)
        for service in target.services where services.contains(service.id) {
            try await tx.query(
                """
                INSERT INTO services (tenant_id, id, name, escalation_policy_id, workflow, ack_timeout_seconds, auto_resolve_seconds, page_low_severity)
                VALUES (\(tenantID), \(service.id), \(service.name), \(service.escalationPolicy), \(service.workflow),
                        \(service.ackTimeout.map { Int32($0.components.seconds) }), \(service.autoResolve.map { Int32($0.components.seconds) }), \(service.pageLowSeverity))
                ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, escalation_policy_id = excluded.escalation_policy_id,
                    workflow = excluded.workflow, ack_timeout_seconds = excluded.ack_timeout_seconds,
                    auto_resolve_seconds = excluded.auto_resolve_seconds, page_low_severity = excluded.page_low_severity, updated_at = now()
                """,
                logger: logger
            )
            try await tx.query("DELETE FROM maintenance_windows WHERE tenant_id = \(tenantID) AND service_id = \(service.id)", logger: logger)
            for (position, window) in service.maintenanceWindows.enumerated() {
                let instants = try window.instants()
                try await tx.query(
                    """
                    INSERT INTO maintenance_windows (tenant_id, service_id, position, starts_local, ends_local, time_zone, starts_at, ends_at)
                    VALUES (\(tenantID), \(service.id), \(position), \(window.start.description), \(window.end.description), \(window.timeZone),
                            \(instants.start.date), \(instants.end.date))
                    """,
                    logger: logger
                )
            }
        }

        if changes.contains(where: { $0.kind == .route }) {
            try await tx.query("DELETE FROM routes WHERE tenant_id = \(tenantID)", logger: logger)
            for source in Routes.Source.allCases {
                guard let service = target.routes[source] else { continue }
                try await tx.query("INSERT INTO routes (tenant_id, source, service_id) VALUES (\(tenantID), \(source.rawValue), \(service))", logger: logger)
            }
        }

        var issued: [IssuedKey] = []
        let createdIntegrations = ids(.integration, [.create])
        let updatedIntegrations = ids(.integration, [.update])
        for integration in target.integrations {
            if createdIntegrations.contains(integration.id) {
                let key = integration.key ?? IntegrationKeys.generate()
                let webhookID = IntegrationKeys.webhookID()
                try await tx.query(
                    """
                    INSERT INTO integrations (tenant_id, id, type, service_id, webhook_id, key_sha256, key_hint, options)
                    VALUES (\(tenantID), \(integration.id), \(integration.type.rawValue), \(integration.service), \(webhookID),
                            \(ByteBuffer(bytes: IntegrationKeys.hash(key))), \(IntegrationKeys.hint(key)), \(Self.options(integration))::jsonb)
                    """,
                    logger: logger
                )
                if integration.key == nil { issued.append(IssuedKey(integrationID: integration.id, webhookID: webhookID, key: key)) }
            } else if updatedIntegrations.contains(integration.id) {
                try await tx.query(
                    """
                    UPDATE integrations SET type = \(integration.type.rawValue), service_id = \(integration.service), options = \(Self.options(integration))::jsonb
                    WHERE tenant_id = \(tenantID) AND id = \(integration.id)
                    """,
                    logger: logger
                )
                if newKeys.contains(integration.id) {
                    let key = integration.key ?? IntegrationKeys.generate()
                    try await tx.query(
                        """
                        UPDATE integrations SET key_sha256 = \(ByteBuffer(bytes: IntegrationKeys.hash(key))), key_hint = \(IntegrationKeys.hint(key)), key_rotated_at = now()
                        WHERE tenant_id = \(tenantID) AND id = \(integration.id)
                        """,
                        logger: logger
                    )
                    if integration.key == nil,
                       let webhookID = current?.integration(integration.id)?.webhookID {
                        issued.append(IssuedKey(integrationID: integration.id, webhookID: webhookID, key: key))
                    }
                }
            }
        }

        // Deletions, most dependent first.
        for id in ids(.integration, [.delete]).sorted() {
            try await tx.query("DELETE FROM integrations WHERE tenant_id = \(tenantID) AND id = \(id)", logger: logger)
        }
        for id in ids(.service, [.delete]).sorted() {
            try await tx.query("DELETE FROM services WHERE tenant_id = \(tenantID) AND id = \(id)", logger: logger)
        }
        for id in ids(.escalationPolicy, [.delete]).sorted() {
            try await tx.query("DELETE FROM escalation_policies WHERE tenant_id = \(tenantID) AND id = \(id)", logger: logger)
        }
        for id in ids(.schedule, [.delete]).sorted() {
            try await tx.query("DELETE FROM schedules WHERE tenant_id = \(tenantID) AND id = \(id)", logger: logger)
        }
        for id in ids(.technician, [.delete]).sorted() {
            try await tx.query("DELETE FROM technicians WHERE tenant_id = \(tenantID) AND id = \(id)", logger: logger)
        }
        return issued
    }

    /// An integration's options as stored (`{"grouping":…,"rate_per_second":…,"burst":…,"interval_seconds":…,"grace_seconds":…}`,
    /// unset ones left out).
    static func options(_ integration: Integration) -> String {
        var fields: [String] = []
        if let grouping = integration.grouping { fields.append(#""grouping":\#(JSONText.quoted(grouping.rawValue))"#) }
        if let rate = integration.ratePerSecond { fields.append(#""rate_per_second":\#(rate)"#) }
        if let burst = integration.burst { fields.append(#""burst":\#(burst)"#) }
        if let interval = integration.interval { fields.append(#""interval_seconds":\#(interval.components.seconds)"#) }
        if let grace = integration.grace { fields.append(#""grace_seconds":\#(grace.components.seconds)"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
