/// Why a Hub SSO token was refused.
///
/// The ``message`` is for logs and for the `401`/`503` body: it names the claim, the key id or the algorithm that
/// failed, and never the token itself nor the secret. ``code`` is a growable set of values (a struct, not an enum),
/// so new codes can be added without breaking callers that `switch` with a `default`.
public struct HubTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Not three base64url parts, a header or payload that is not a JSON object, a claim of the wrong type,
        /// an unknown critical header extension.
        public static let malformed = Code(rawValue: "malformed")
        /// `alg` is `none`, not HS256/RS256/ES256, HS256 without `HUB_JWT_SECRET`, RS256/ES256 without
        /// `HUB_JWKS_URL`, or not the algorithm of the key its `kid` names.
        public static let unsupportedAlgorithm = Code(rawValue: "unsupported_algorithm")
        /// The signature does not verify with the key.
        public static let badSignature = Code(rawValue: "bad_signature")
        /// `exp` (plus the leeway) is in the past.
        public static let expired = Code(rawValue: "expired")
        /// `nbf` (minus the leeway) is in the future.
        public static let notYetValid = Code(rawValue: "not_yet_valid")
        /// `HUB_JWT_ISSUER` is set and `iss` is missing or different.
        public static let wrongIssuer = Code(rawValue: "wrong_issuer")
        /// The JWKS has no key with the token's `kid` (after the one allowed re-fetch).
        public static let unknownKey = Code(rawValue: "unknown_key")
        /// `sub`, `tenant_id`, `role` or `exp` is missing (or empty).
        public static let missingClaim = Code(rawValue: "missing_claim")
        /// Neither `HUB_JWT_SECRET` nor `HUB_JWKS_URL` is set, or the secret is too short to be used.
        public static let notConfigured = Code(rawValue: "not_configured")
        /// The JWKS could not be fetched (network, status, not a JWKS document). Unlike every other code this
        /// is not the token's fault: answer `503`, not `401`.
        public static let jwksUnavailable = Code(rawValue: "jwks_unavailable")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status for the caller: `503` when the JWKS is unavailable, `401` otherwise.
    public var httpStatus: Int { code == .jwksUnavailable ? 503 : 401 }

    public var description: String { "\(code): \(message)" }
}
