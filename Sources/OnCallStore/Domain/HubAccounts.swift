public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// Hub users as technicians: first login provisions the technician, every authenticated day marks them active.
public struct HubAccounts: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Who signed in, as the Hub's token says.
    public struct SignIn: Sendable {
        public var tenantID: String
        public var hubUserID: String
        public var email: String?
        public var name: String?
        public var role: HubRole

        public init(tenantID: String, hubUserID: String, email: String?, name: String?, role: HubRole) {
            self.tenantID = tenantID
            self.hubUserID = hubUserID
            self.email = email
            self.name = name
            self.role = role
        }
    }

    /// The technician id of a Hub user: matched by `hub_user_id`, then by email (which links the two), else a new
    /// technician (and, for a tenant On-Call has not seen, the tenant). Marks them active for `day` (UTC).
    public func signIn(_ user: SignIn, at now: Timestamp) async throws -> String {
        try await client.withTransaction(logger: logger) { tx in
            try await tx.query("INSERT INTO tenants (id, name) VALUES (\(user.tenantID), \(user.tenantID)) ON CONFLICT DO NOTHING", logger: logger)
            var technicianID: String?
            for try await id in try await tx.query(
                "SELECT id FROM technicians WHERE tenant_id = \(user.tenantID) AND hub_user_id = \(user.hubUserID)", logger: logger
            ).decode(String.self) { technicianID = id }
            if technicianID == nil, let email = user.email, !email.isEmpty {
                for try await id in try await tx.query(
                    """
                    UPDATE technicians SET hub_user_id = \(user.hubUserID), updated_at = now()
                    WHERE tenant_id = \(user.tenantID) AND (tenant_id, id) = (
                        SELECT tenant_id, id FROM technicians WHERE tenant_id = \(user.tenantID) AND lower(email) = lower(\(email)) AND hub_user_id IS NULL
                        ORDER BY id LIMIT 1)
                    RETURNING id
                    """,
                    logger: logger
                ).decode(String.self) { technicianID = id }
            }
            if technicianID == nil {
                // The new technician must keep the tenant valid (docs/config.md): an email only if it looks like one
                // and no other technician has it.
                var email = user.email.flatMap { $0.contains("@") ? $0 : nil }
                if let candidate = email {
                    for try await _ in try await tx.query(
                        "SELECT 1 FROM technicians WHERE tenant_id = \(user.tenantID) AND lower(email) = lower(\(candidate))", logger: logger
                    ) { email = nil }
                }
                let base = Self.slug(user.email.map { String($0.prefix { $0 != "@" }) } ?? user.name ?? user.hubUserID)
                var taken: Set<String> = []
                for try await id in try await tx.query(
                    "SELECT id FROM technicians WHERE tenant_id = \(user.tenantID) AND (id = \(base) OR id LIKE \(base + "-%"))", logger: logger
                ).decode(String.self) { taken.insert(id) }
                var candidate = base
                var suffix = 2
                while taken.contains(candidate) {
                    candidate = "\(base)-\(suffix)"
                    suffix += 1
                }
                try await tx.query(
                    """
                    INSERT INTO technicians (tenant_id, id, name, email, hub_user_id, role, provisioned_at)
                    VALUES (\(user.tenantID), \(candidate), \(user.name ?? user.email ?? user.hubUserID), \(email), \(user.hubUserID), \(user.role.rawValue), now())
                    """,
                    logger: logger
                )
                technicianID = candidate
            }
            try await Self.markActive(tenantID: user.tenantID, technicianID: technicianID!, at: now, on: tx, logger: logger)
            return technicianID!
        }
    }

    /// Marks the technician active for the tenant on `now`'s UTC day (once per day).
    public func markActive(tenantID: String, technicianID: String, at now: Timestamp) async throws {
        try await client.withConnection { connection in
            try await Self.markActive(tenantID: tenantID, technicianID: technicianID, at: now, on: connection, logger: logger)
        }
    }

    static func markActive(tenantID: String, technicianID: String, at now: Timestamp, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO technician_activity (tenant_id, day, technician_id, first_seen_at)
            VALUES (\(tenantID), (\(now.date)::timestamptz AT TIME ZONE 'UTC')::date, \(technicianID), \(now.date))
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
    }

    /// Distinct active technicians per UTC day in `[from, to]` (dates as `YYYY-MM-DD`).
    public func activity(tenantID: String, from: String, to: String) async throws -> [(day: String, technicians: [String])] {
        var days: [(day: String, technicians: [String])] = []
        for try await (day, ids) in try await client.query(
            """
            SELECT day::text, array_agg(technician_id ORDER BY technician_id) FROM technician_activity
            WHERE tenant_id = \(tenantID) AND day BETWEEN \(from)::date AND \(to)::date GROUP BY day ORDER BY day
            """,
            logger: logger
        ).decode((String, [String]).self) {
            days.append((day, ids))
        }
        return days
    }

    /// A technician id from free text: lowercase letters, digits and dashes.
    static func slug(_ text: String) -> String {
        var slug = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                slug.append(character)
            } else if !slug.isEmpty && slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.last == "-" { slug.removeLast() }
        return slug.isEmpty ? "technician" : String(slug.prefix(48))
    }
}
