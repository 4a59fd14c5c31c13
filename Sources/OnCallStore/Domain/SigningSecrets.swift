public import Logging
public import PostgresNIO
import Synchronization

/// Each tenant's webhook signing secret (`whsec_…`): made on first use, shown to the tenant's owners and
/// managers, rotated on request. Kept in `server_secrets` as `webhook_signing:<tenant>`; each node caches it,
/// and a rotation tells every node through `oncall_tenants` (see ``forget(tenantID:)``).
public final class SigningSecrets: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let cache = Mutex<[String: String]>([:])

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The tenant's current secret (made now if it has none).
    public func secret(tenantID: String) async throws -> String {
        if let cached = cache.withLock({ $0[tenantID] }) { return cached }
        let name = Self.name(tenantID)
        for _ in 0..<3 {
            let fresh = ByteBuffer(string: Self.generate())
            for try await value in try await client.query(
                """
                WITH made AS (INSERT INTO server_secrets (name, value) VALUES (\(name), \(fresh)) ON CONFLICT (name) DO NOTHING RETURNING value)
                SELECT value FROM made UNION ALL SELECT value FROM server_secrets WHERE name = \(name)
                """,
                logger: logger
            ).decode(ByteBuffer.self) {
                let secret = String(buffer: value)
                cache.withLock { $0[tenantID] = secret }
                return secret
            }
        }
        throw IncidentStore.IncidentStoreError(message: "no webhook signing secret for tenant \(tenantID)")
    }

    /// A new secret, in force at once on every node (pages signed with the old one stop at the commit).
    public func rotate(tenantID: String) async throws -> String {
        let secret = Self.generate()
        try await client.withTransaction(logger: logger) { tx in
            try await tx.query(
                """
                INSERT INTO server_secrets (name, value) VALUES (\(Self.name(tenantID)), \(ByteBuffer(string: secret)))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = now()
                """,
                logger: logger
            )
            try await tx.query("SELECT pg_notify('oncall_tenants', \(tenantID))", logger: logger)
        }
        cache.withLock { $0[tenantID] = secret }
        return secret
    }

    /// Forgets the cached secret (another node rotated it).
    public func forget(tenantID: String) {
        _ = cache.withLock { $0.removeValue(forKey: tenantID) }
    }

    static func name(_ tenantID: String) -> String { "webhook_signing:" + tenantID }

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        return "whsec_" + String((0..<64).map { _ in hex[Int(generator.next(upperBound: UInt64(16)))] })
    }
}
