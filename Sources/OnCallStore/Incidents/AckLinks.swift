public import Crypto
public import Foundation
public import Logging
public import OnCallCore
public import PostgresNIO

/// One-click acknowledge links: a token bound to one incident and one technician, signed with the cluster's
/// link key (HMAC-SHA256), valid until it expires and only once.
///
/// Token: `v1.<tenant>.<incident>.<technician>.<expires unix s>.<nonce>.<signature>`, the text parts base64url,
/// the signature over everything before it. Verifying needs no database; using it records the token's hash in
/// `ack_links_used` (a second use finds it there).
public struct AckLinks: Sendable {
    public struct Claims: Sendable, Equatable {
        public var tenantID: String
        public var incidentID: UUID
        public var technicianID: String
        public var expires: Timestamp

        public init(tenantID: String, incidentID: UUID, technicianID: String, expires: Timestamp) {
            self.tenantID = tenantID
            self.incidentID = incidentID
            self.technicianID = technicianID
            self.expires = expires
        }
    }

    public enum Refusal: Error, Equatable {
        case malformed
        case badSignature
        case expired
    }

    /// How long a page's link works.
    public static let lifetime: Duration = .seconds(24 * 3600)

    let key: SymmetricKey

    public init(secret: [UInt8]) {
        key = SymmetricKey(data: secret)
    }

    /// A random secret (tests, and the cluster's first start).
    public static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A link token for `technicianID` to acknowledge the incident; `nonce` makes each page's token its own.
    public func token(tenantID: String, incidentID: UUID, technicianID: String, expires: Timestamp, nonce: String) -> String {
        let body = ["v1", Self.encode(tenantID), incidentID.uuidString.lowercased(), Self.encode(technicianID),
                    String(expires.microseconds / 1_000_000), Self.encode(nonce)].joined(separator: ".")
        return body + "." + Self.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: key)))
    }

    /// What the token grants, if it is one of ours and has not expired at `now` (single use is checked by ``use(_:claims:client:logger:)``).
    public func verify(_ token: String, now: Timestamp) -> Result<Claims, Refusal> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 7, parts[0] == "v1", let signature = Self.decode(parts[6]) else { return .failure(.malformed) }
        let body = parts[0..<6].joined(separator: ".")
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Array(body.utf8), using: key) else { return .failure(.badSignature) }
        guard let tenant = Self.decode(parts[1]).map({ String(decoding: $0, as: UTF8.self) }), let incident = UUID(uuidString: parts[2]),
              let technician = Self.decode(parts[3]).map({ String(decoding: $0, as: UTF8.self) }), let seconds = Int64(parts[4]) else {
            return .failure(.malformed)
        }
        let expires = Timestamp(microseconds: seconds * 1_000_000)
        guard now < expires else { return .failure(.expired) }
        return .success(Claims(tenantID: tenant, incidentID: incident, technicianID: technician, expires: expires))
    }

    /// Records the token as used; false when it already was.
    public static func use(_ token: String, claims: Claims, client: PostgresClient, logger: Logger) async throws -> Bool {
        let hash = ByteBuffer(bytes: Array(SHA256.hash(data: Array(token.utf8))))
        for try await _ in try await client.query(
            """
            INSERT INTO ack_links_used (tenant_id, token_sha256, incident_id, technician_id) VALUES (\(claims.tenantID), \(hash), \(claims.incidentID), \(claims.technicianID))
            ON CONFLICT DO NOTHING RETURNING 1
            """,
            logger: logger
        ) { return true }
        return false
    }

    /// The cluster's link key: read, or made by the first node that needs it (every node signs and checks alike).
    public static func clusterSecret(connection: PostgresConnection, logger: Logger) async throws -> [UInt8] {
        // Two nodes starting together: the second's statement may not see the first's key yet; it does next time.
        for _ in 0..<3 {
            let fresh = ByteBuffer(bytes: randomSecret())
            for try await value in try await connection.query(
                """
                WITH made AS (INSERT INTO server_secrets (name, value) VALUES ('ack_links', \(fresh)) ON CONFLICT (name) DO NOTHING RETURNING value)
                SELECT value FROM made UNION ALL SELECT value FROM server_secrets WHERE name = 'ack_links'
                """,
                logger: logger
            ).decode(ByteBuffer.self) { return Array(buffer: value) }
        }
        throw IncidentStore.IncidentStoreError(message: "no acknowledge link key")
    }

    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base).map(Array.init)
    }
}
