public import AsyncHTTPClient
public import Foundation
import JWTKit
public import Logging
import NIOCore

/// Verifies the JWTs the Hub issues for single sign-on and returns who the bearer is (``HubClaims``).
///
/// Configuration (docs/configuration.md): `HUB_JWT_SECRET` for HS256 tokens, `HUB_JWKS_URL` for RS256 and ES256
/// tokens (either or both), and `HUB_JWT_ISSUER` to demand an `iss`.
///
/// What is accepted:
/// - `alg` HS256 only when a secret is configured, and then only with that secret; RS256 and ES256 only with a key
///   from the JWKS (picked by `kid`; a token without `kid` is tried against every key of its algorithm). Nothing
///   else: `none`, HS384, PS256, … are refused, and so is an HS256 token when only a JWKS is configured — the
///   classic forgery that signs HS256 with the RSA public key as the HMAC secret cannot work.
/// - `exp` is required; `exp` and `nbf` are checked against the injected clock with ``leeway`` (default 30 s) for
///   clock skew between the Hub and us: a token is accepted until `exp + leeway` and from `nbf - leeway`.
/// - `iss` must equal `HUB_JWT_ISSUER` when that is set; it is not looked at otherwise.
/// - `sub`, `tenant_id` and `role` are required non-empty strings; `email` and `name` are optional.
/// - A header with `crit` is refused (no extension is understood).
///
/// The JWKS is fetched on first use and cached. It is fetched again on the next verify once it is older than
/// `maximumKeyAge` (10 min by default; if that fails the old keys stay in use), and when a token names a `kid` the
/// cached set lacks — then at most once per `minimumRefresh` (30 s by default), so a flood of made-up kids costs
/// the Hub one request per interval. The same interval spaces out retries when no JWKS could be fetched yet.
/// A failed fetch is ``HubTokenError/Code/jwksUnavailable`` (answer 503); every other failure is the token's (401).
public final class HubTokenVerifier: Sendable {
    /// Longer tokens are refused before any parsing.
    public static let maximumTokenLength = 16 * 1024
    /// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    public static let minimumSecretLength = 32

    public let issuer: String?
    /// The clock-skew allowance for `exp` and `nbf`.
    public let leeway: Duration

    private let hmacKey: Task<(any JWTAlgorithm)?, Never>?
    private let jwks: HubJWKSCache?
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// - Parameters:
    ///   - secret: `HUB_JWT_SECRET`, used as its UTF-8 bytes; at least 32 bytes. Nil or empty: HS256 is refused.
    ///   - jwksURL: `HUB_JWKS_URL` (http or https). Nil or empty: RS256 and ES256 are refused.
    ///   - issuer: `HUB_JWT_ISSUER`. Nil or empty: `iss` is not checked.
    ///   - minimumRefresh: the least time between two JWKS fetches caused by unknown `kid`s (or after a failure).
    ///   - maximumKeyAge: a cached JWKS older than this is fetched again on the next verify.
    ///   - fetchTimeout: the whole JWKS request. AsyncHTTPClient keeps retrying a refused connection until this
    ///     deadline, so with the Hub down a verify that needs the JWKS waits this long before `jwksUnavailable`.
    ///   - now: the clock for `exp`/`nbf` and for the JWKS cache.
    /// - Throws: ``HubTokenError/Code/notConfigured`` when the secret is shorter than 32 bytes or the JWKS URL is
    ///   not an http(s) URL. Neither being set is not an error here: ``verify(_:)`` then throws `notConfigured`.
    public init(
        secret: String?,
        jwksURL: String?,
        issuer: String?,
        client: HTTPClient = .shared,
        logger: Logger = Logger(label: "oncall.hub-sso"),
        leeway: Duration = .seconds(30),
        minimumRefresh: Duration = .seconds(30),
        maximumKeyAge: Duration = .seconds(600),
        fetchTimeout: Duration = .seconds(5),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(HubTokenError) {
        let secret = secret.flatMap { $0.isEmpty ? nil : $0 }
        let jwksURL = jwksURL.flatMap { $0.isEmpty ? nil : $0 }
        self.issuer = issuer.flatMap { $0.isEmpty ? nil : $0 }
        self.leeway = leeway
        self.now = now
        self.logger = logger

        if let secret {
            guard secret.utf8.count >= Self.minimumSecretLength else {
                throw HubTokenError(
                    .notConfigured,
                    "HUB_JWT_SECRET is \(secret.utf8.count) bytes; HS256 needs at least \(Self.minimumSecretLength) (RFC 7518 §3.2)"
                )
            }
            let key = HMACKey(from: secret)
            hmacKey = Task { try? await JWTKeyCollection().add(hmac: key, digestAlgorithm: .sha256).getKey() }
        } else {
            hmacKey = nil
        }

        if let jwksURL {
            guard let url = URL(string: jwksURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw HubTokenError(.notConfigured, "HUB_JWKS_URL is not an http(s) URL")
            }
            jwks = HubJWKSCache(
                url: jwksURL, client: client, logger: logger, now: now,
                minimumRefresh: Self.seconds(minimumRefresh), maximumAge: Self.seconds(maximumKeyAge),
                timeout: .nanoseconds(Int64(fetchTimeout.components.seconds) * 1_000_000_000 + fetchTimeout.components.attoseconds / 1_000_000_000)
            )
        } else {
            jwks = nil
        }
    }

    /// Whether a secret or a JWKS URL is set, so that some token can verify.
    public var isConfigured: Bool { hmacKey != nil || jwks != nil }

    /// Checks the token's signature and claims; the bearer's identity, or why not.
    public func verify(_ token: String) async throws(HubTokenError) -> HubClaims {
        do {
            return try await check(token)
        } catch {
            logger.debug("Hub token refused", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
            throw error
        }
    }

    private func check(_ token: String) async throws(HubTokenError) -> HubClaims {
        guard isConfigured else {
            throw HubTokenError(.notConfigured, "Hub SSO is not configured: set HUB_JWT_SECRET or HUB_JWKS_URL")
        }
        guard token.utf8.count <= Self.maximumTokenLength else {
            throw HubTokenError(.malformed, "the token is longer than \(Self.maximumTokenLength) bytes")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw HubTokenError(.malformed, "a JWT has 3 dot-separated parts, this one has \(parts.count)")
        }
        let header = try Header(parts[0])

        // The algorithm alone decides where the key may come from, before any key is looked at.
        let source: KeySource
        switch header.alg {
        case "HS256":
            guard let hmacKey else {
                throw HubTokenError(.unsupportedAlgorithm, "HS256 tokens are refused: HUB_JWT_SECRET is not set (a JWKS key is never an HMAC secret)")
            }
            source = .secret(hmacKey)
        case "RS256", "ES256":
            guard let jwks else {
                throw HubTokenError(.unsupportedAlgorithm, "\(header.alg) tokens are refused: HUB_JWKS_URL is not set")
            }
            source = .jwks(jwks)
        case let alg where alg.lowercased() == "none":
            throw HubTokenError(.unsupportedAlgorithm, "unsigned tokens (alg none) are refused")
        case let alg:
            throw HubTokenError(.unsupportedAlgorithm, "alg \(Self.quoted(alg)) is refused; Hub tokens are HS256, RS256 or ES256")
        }
        try header.refuseCritical()
        let signature = try Self.signature(parts[2])

        let keys: [any JWTAlgorithm]
        switch source {
        case .secret(let key):
            guard let key = await key.value else { throw HubTokenError(.notConfigured, "the HS256 key could not be set up") }
            keys = [key]
        case .jwks(let jwks):
            keys = try await jwks.keys(kid: header.kid, algorithm: header.alg).map(\.verifier)
        }
        try Self.verifySignature(signature, parts: parts, alg: header.alg, keys: keys, kid: source.isSecret ? nil : header.kid)

        // Only a token whose signature verified gets its payload read.
        let claims = try RawClaims(parts[1])
        return try claims.check(now: now(), leeway: Self.seconds(leeway), issuer: issuer)
    }

    // MARK: Parts

    private enum KeySource {
        case secret(Task<(any JWTAlgorithm)?, Never>)
        case jwks(HubJWKSCache)

        var isSecret: Bool { if case .secret = self { true } else { false } }
    }

    private struct Header {
        var alg: String
        var kid: String?
        var hasCrit: Bool

        init(_ part: Substring) throws(HubTokenError) {
            guard let data = HubTokenVerifier.base64URLDecode(part),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else {
                throw HubTokenError(.malformed, "the header is not base64url-encoded JSON")
            }
            guard let alg = object["alg"] as? String else {
                throw HubTokenError(.malformed, "the header has no alg")
            }
            self.alg = alg
            switch object["kid"] {
            case nil: kid = nil
            case let kid as String: self.kid = kid
            default: throw HubTokenError(.malformed, "the header's kid is not a string")
            }
            hasCrit = object["crit"] != nil
        }

        func refuseCritical() throws(HubTokenError) {
            if hasCrit { throw HubTokenError(.malformed, "the header has crit extensions, and none is understood here") }
        }
    }

    private static func signature(_ part: Substring) throws(HubTokenError) -> Data {
        guard !part.isEmpty, let signature = base64URLDecode(part) else {
            throw HubTokenError(.malformed, "the signature is missing or not base64url")
        }
        return signature
    }

    private static func verifySignature(_ signature: Data, parts: [Substring], alg: String, keys: [any JWTAlgorithm], kid: String?) throws(HubTokenError) {
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        // The key's own algorithm must be the header's too (jwt-kit verifies with whatever the key is).
        let verified = keys.contains { key in
            key.name == alg && (try? key.verify(signature, signs: signingInput)) == true
        }
        guard verified else {
            throw HubTokenError(.badSignature, "the \(alg) signature does not verify with \(kid.map { "key \(quoted($0))" } ?? "the configured key")")
        }
    }

    private struct RawClaims: Decodable {
        var sub, tenant_id, role, email, name, iss: String?
        var exp, nbf: Double?

        init(_ part: Substring) throws(HubTokenError) {
            guard let data = HubTokenVerifier.base64URLDecode(part) else {
                throw HubTokenError(.malformed, "the payload is not base64url")
            }
            do {
                self = try JSONDecoder().decode(RawClaims.self, from: data)
            } catch DecodingError.typeMismatch(_, let context) {
                throw HubTokenError(.malformed, "claim \(context.codingPath.first?.stringValue ?? "?") has the wrong type")
            } catch {
                throw HubTokenError(.malformed, "the payload is not a JSON object")
            }
        }

        func check(now: Date, leeway: TimeInterval, issuer: String?) throws(HubTokenError) -> HubClaims {
            guard let exp else { throw HubTokenError(.missingClaim, "the token has no exp") }
            let expiresAt = Date(timeIntervalSince1970: exp)
            let nowSeconds = now.timeIntervalSince1970
            guard nowSeconds < exp + leeway else {
                throw HubTokenError(.expired, "the token expired at \(expiresAt.formatted(.iso8601))")
            }
            if let nbf, nowSeconds + leeway < nbf {
                throw HubTokenError(.notYetValid, "the token is not valid before \(Date(timeIntervalSince1970: nbf).formatted(.iso8601))")
            }
            if let issuer, iss != issuer {
                throw HubTokenError(
                    .wrongIssuer,
                    iss.map { "iss \(HubTokenVerifier.quoted($0)) is not \(HubTokenVerifier.quoted(issuer))" } ?? "the token has no iss; \(HubTokenVerifier.quoted(issuer)) is required"
                )
            }
            func required(_ value: String?, _ claim: String) throws(HubTokenError) -> String {
                guard let value, !value.isEmpty else { throw HubTokenError(.missingClaim, "the token has no \(claim)") }
                return value
            }
            return HubClaims(
                subject: try required(sub, "sub"),
                tenantID: try required(tenant_id, "tenant_id"),
                role: try required(role, "role"),
                email: email,
                name: name,
                expiresAt: expiresAt
            )
        }
    }

    // MARK: Helpers

    private static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A value from the token for a message: printable ASCII only, at most 64 characters, quoted.
    static func quoted(_ value: String) -> String {
        let printable = value.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }
        var text = String(String.UnicodeScalarView(printable.prefix(64)))
        if printable.count > 64 || printable.count != value.unicodeScalars.count { text += "…" }
        return "\"\(text)\""
    }

    /// Base64url without padding (RFC 7515 §2); padding is tolerated.
    private static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.hasSuffix("=") { base64.removeLast() }
        if base64.count % 4 == 1 { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
