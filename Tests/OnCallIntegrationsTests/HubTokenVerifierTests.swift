import Crypto
import CryptoExtras
import Foundation
import JWTKit
import OnCallCore
import OnCallIntegrations
import OnCallTesting
import Synchronization
import Testing

@Suite struct HubTokenVerifierTests {
    static let secret = "hub-sso-test-secret-0123456789abcdef"
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let issuer = "https://hub.example.test"

    // MARK: HS256 and claims

    @Test func acceptsAValidHS256Token() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        let token = try await Self.hs256(Claims())
        let claims = try await verifier.verify(token)
        #expect(claims == HubClaims(subject: "user-1", tenantID: "tenant-1", role: "admin", email: "ada@example.test", name: "Ada", expiresAt: Self.t0 + 300))
        #expect(claims.hubRole == .admin)
    }

    @Test func refusesATokenSignedWithAnotherSecret() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        let token = try await Self.hs256(Claims(), secret: "some-other-secret-of-at-least-32-bytes!!")
        let error = await Self.expectRefused(verifier, token, .badSignature)
        #expect(error?.httpStatus == 401)
        #expect(error.map { !$0.message.contains(Self.secret) && !$0.message.contains(token) && !$0.description.contains(token) } == true)
    }

    @Test func refusesAnExpiredTokenWithThirtySecondsOfLeeway() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        await Self.expectRefused(verifier, try await Self.hs256(Claims(exp: Self.at(-3600))), .expired)
        await Self.expectRefused(verifier, try await Self.hs256(Claims(exp: Self.at(-30))), .expired)
        _ = try await verifier.verify(try await Self.hs256(Claims(exp: Self.at(-29))))
    }

    @Test func refusesATokenNotValidYet() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        await Self.expectRefused(verifier, try await Self.hs256(Claims(nbf: Self.at(3600))), .notYetValid)
        await Self.expectRefused(verifier, try await Self.hs256(Claims(nbf: Self.at(31))), .notYetValid)
        _ = try await verifier.verify(try await Self.hs256(Claims(nbf: Self.at(30))))
    }

    @Test func checksTheIssuerWhenOneIsConfigured() async throws {
        let verifier = try Self.verifier(secret: Self.secret, issuer: Self.issuer)
        await Self.expectRefused(verifier, try await Self.hs256(Claims(iss: "https://evil.example.test")), .wrongIssuer)
        await Self.expectRefused(verifier, try await Self.hs256(Claims(iss: nil)), .wrongIssuer)
        _ = try await verifier.verify(try await Self.hs256(Claims(iss: Self.issuer)))
    }

    @Test func ignoresTheIssuerWhenNoneIsConfigured() async throws {
        let verifier = try Self.verifier(secret: Self.secret, issuer: nil)
        _ = try await verifier.verify(try await Self.hs256(Claims(iss: "https://anyone.example.test")))
        _ = try await verifier.verify(try await Self.hs256(Claims(iss: nil)))
    }

    @Test func requiresSubTenantRoleAndExp() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        for (claims, name) in [
            (Claims(tenant_id: nil), "tenant_id"), (Claims(tenant_id: ""), "tenant_id"),
            (Claims(sub: nil), "sub"), (Claims(role: nil), "role"), (Claims(exp: nil), "exp"),
        ] {
            let error = await Self.expectRefused(verifier, try await Self.hs256(claims), .missingClaim)
            #expect(error?.message.contains(name) == true, "\(String(describing: error))")
        }
        // Optional claims may be absent; an unknown role is passed through for the caller to refuse.
        let claims = try await verifier.verify(try await Self.hs256(Claims(role: "superuser", email: nil, name: nil)))
        #expect(claims.role == "superuser" && claims.hubRole == nil && claims.email == nil && claims.name == nil)
    }

    @Test func refusesAClaimOfTheWrongType() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        let token = try await Self.signed(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: #"{"sub":"u","tenant_id":42,"role":"member","exp":1800000300}"#)
        let error = await Self.expectRefused(verifier, token, .malformed)
        #expect(error?.message.contains("tenant_id") == true)
    }

    // MARK: Algorithms

    @Test func refusesAlgNone() async throws {
        try await Self.withJWKSServer { server in
            let verifier = try Self.verifier(secret: Self.secret, jwksURL: server.url("/jwks"))
            let payload = try Self.base64URL(JSONEncoder().encode(Claims()))
            for alg in ["none", "None", "NONE"] {
                let header = Self.base64URL(#"{"alg":"\#(alg)","typ":"JWT"}"#)
                await Self.expectRefused(verifier, "\(header).\(payload).", .unsupportedAlgorithm)
                // Even with a (HS256-valid) signature attached.
                let signature = Self.base64URL(HMAC<SHA256>.authenticationCode(for: Array("\(header).\(payload)".utf8), using: SymmetricKey(data: Array(Self.secret.utf8))))
                await Self.expectRefused(verifier, "\(header).\(payload).\(signature)", .unsupportedAlgorithm)
            }
            #expect(server.received.isEmpty)
        }
    }

    @Test func refusesHS256SignedWithTheRSAPublicKeyWhenOnlyAJWKSIsConfigured() async throws {
        let rsa = try Keys.rsa1.get()
        try await Self.withJWKSServer { server in
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa, kid: "rsa-1"))))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"))
            // The attacker knows the public key (it is published) and uses its PEM, or its DER, as the HMAC secret.
            for secret in [rsa.publicKey.pemRepresentation, String(decoding: rsa.publicKey.derRepresentation, as: UTF8.self)] {
                let forged = try await JWTKeyCollection()
                    .add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "rsa-1")
                    .sign(Claims(role: "owner"), kid: "rsa-1")
                await Self.expectRefused(verifier, forged, .unsupportedAlgorithm)
            }
            #expect(server.received.isEmpty)
            // A genuine RS256 token still verifies.
            _ = try await verifier.verify(try await Self.rs256(Claims(), key: rsa, kid: "rsa-1"))
        }
    }

    @Test func refusesTheForgedHS256TokenWhenASecretIsConfiguredToo() async throws {
        let rsa = try Keys.rsa1.get()
        try await Self.withJWKSServer { server in
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa, kid: "rsa-1"))))
            let verifier = try Self.verifier(secret: Self.secret, jwksURL: server.url("/jwks"))
            let forged = try await JWTKeyCollection()
                .add(hmac: HMACKey(from: rsa.publicKey.pemRepresentation), digestAlgorithm: .sha256, kid: "rsa-1")
                .sign(Claims(role: "owner"), kid: "rsa-1")
            await Self.expectRefused(verifier, forged, .badSignature)
        }
    }

    @Test func refusesOtherAlgorithmsAndAlgorithmsWithoutTheirKeySource() async throws {
        // (jwt-kit asserts that an HS512 key has 64 bytes or more.)
        let hs512 = try await JWTKeyCollection().add(hmac: HMACKey(from: Self.secret + Self.secret), digestAlgorithm: .sha512).sign(Claims())
        await Self.expectRefused(try Self.verifier(secret: Self.secret), hs512, .unsupportedAlgorithm)
        // RS256 and ES256 with only a secret: no JWKS to take a key from.
        let rs256 = try await Self.rs256(Claims(), key: try Keys.rsa1.get(), kid: "rsa-1")
        await Self.expectRefused(try Self.verifier(secret: Self.secret), rs256, .unsupportedAlgorithm)
        let es256 = try await Self.es256(Claims(), key: Keys.ec1, kid: "ec-1")
        await Self.expectRefused(try Self.verifier(secret: Self.secret), es256, .unsupportedAlgorithm)
    }

    @Test func refusesMalformedTokens() async throws {
        let verifier = try Self.verifier(secret: Self.secret)
        let valid = try await Self.hs256(Claims())
        let parts = valid.split(separator: ".").map(String.init)
        for token in [
            "", "abc", "a.b", "a.b.c.d.e", "!!!.\(parts[1]).\(parts[2])", "\(Self.base64URL("[1]")).\(parts[1]).\(parts[2])",
            "\(Self.base64URL(#"{"typ":"JWT"}"#)).\(parts[1]).\(parts[2])", "\(parts[0]).\(parts[1]).", "\(parts[0]).\(parts[1]).@@",
            String(repeating: "a", count: 20_000),
        ] {
            await Self.expectRefused(verifier, token, .malformed)
        }
        let crit = try await Self.signed(header: #"{"alg":"HS256","crit":["exp"],"exp":1}"#, payload: String(decoding: JSONEncoder().encode(Claims()), as: UTF8.self))
        await Self.expectRefused(verifier, crit, .malformed)
    }

    @Test func needsASecretOrAJWKSAndRefusesAShortSecret() async throws {
        let verifier = try Self.verifier(secret: nil, jwksURL: nil)
        #expect(!verifier.isConfigured)
        await Self.expectRefused(verifier, try await Self.hs256(Claims()), .notConfigured)
        #expect(throws: HubTokenError(.notConfigured, "HUB_JWT_SECRET is 6 bytes; HS256 needs at least 32 (RFC 7518 §3.2)")) {
            try HubTokenVerifier(secret: "secret", jwksURL: nil, issuer: nil)
        }
        #expect { try HubTokenVerifier(secret: nil, jwksURL: "ftp://hub.example.test/jwks", issuer: nil) } throws: { error in
            (error as? HubTokenError)?.code == .notConfigured
        }
        // Empty variables count as unset.
        #expect(!(try HubTokenVerifier(secret: "", jwksURL: "", issuer: "")).isConfigured)
    }

    // MARK: JWKS

    @Test func acceptsRS256AndES256TokensFromTheJWKS() async throws {
        let rsa = try Keys.rsa1.get()
        try await Self.withJWKSServer { server in
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa, kid: "rsa-1"), Self.jwk(Keys.ec1, kid: "ec-1"), #"{"kty":"oct","kid":"sym","k":"c2VjcmV0"}"#)))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"), issuer: Self.issuer)

            let fromRSA = try await verifier.verify(try await Self.rs256(Claims(iss: Self.issuer), key: rsa, kid: "rsa-1"))
            #expect(fromRSA.subject == "user-1" && fromRSA.tenantID == "tenant-1")
            let fromEC = try await verifier.verify(try await Self.es256(Claims(iss: Self.issuer, sub: "user-2"), key: Keys.ec1, kid: "ec-1"))
            #expect(fromEC.subject == "user-2")
            // Fetched once, then cached.
            #expect(server.received(path: "/jwks").count == 1)

            // Claims are still checked for JWKS tokens.
            await Self.expectRefused(verifier, try await Self.es256(Claims(iss: "https://evil.example.test"), key: Keys.ec1, kid: "ec-1"), .wrongIssuer)
            // Signed by another key under a known kid.
            await Self.expectRefused(verifier, try await Self.es256(Claims(iss: Self.issuer), key: P256.Signing.PrivateKey(), kid: "ec-1"), .badSignature)
            // ES256 with the kid of the RSA key.
            await Self.expectRefused(verifier, try await Self.es256(Claims(iss: Self.issuer), key: Keys.ec1, kid: "rsa-1"), .unsupportedAlgorithm)
            #expect(server.received(path: "/jwks").count == 1)
        }
    }

    @Test func triesEveryKeyOfTheAlgorithmForATokenWithoutKid() async throws {
        let rsa = try Keys.rsa1.get()
        try await Self.withJWKSServer { server in
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(Keys.ec2, kid: "ec-2"), Self.jwk(Keys.ec1, kid: "ec-1"), Self.jwk(rsa, kid: "rsa-1"))))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"))
            let token = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: Keys.ec1)).sign(Claims())
            _ = try await verifier.verify(token)
            await Self.expectRefused(verifier, try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: P256.Signing.PrivateKey())).sign(Claims()), .badSignature)
        }
    }

    @Test func aNewKidCausesExactlyOneRefetchAtMostOncePerInterval() async throws {
        let (rsa1, rsa2) = (try Keys.rsa1.get(), try Keys.rsa2.get())
        try await Self.withJWKSServer { server in
            let clock = TestClock(Self.t0)
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa1, kid: "rsa-1"))))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"), clock: clock, minimumRefresh: .seconds(30))
            _ = try await verifier.verify(try await Self.rs256(Claims(exp: Self.at(3600)), key: rsa1, kid: "rsa-1"))
            #expect(server.received(path: "/jwks").count == 1)

            // The Hub rotates: rsa-2 is published.
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa1, kid: "rsa-1"), Self.jwk(rsa2, kid: "rsa-2"))))
            let rotated = try await Self.rs256(Claims(exp: Self.at(3600)), key: rsa2, kid: "rsa-2")
            // Within minimumRefresh of the last fetch an unknown kid does not reach the Hub.
            await Self.expectRefused(verifier, rotated, .unknownKey)
            #expect(server.received(path: "/jwks").count == 1)

            clock.advance(by: 31)
            _ = try await verifier.verify(rotated)
            #expect(server.received(path: "/jwks").count == 2)
            _ = try await verifier.verify(rotated)
            _ = try await verifier.verify(try await Self.rs256(Claims(exp: Self.at(3600)), key: rsa1, kid: "rsa-1"))
            #expect(server.received(path: "/jwks").count == 2)

            // A flood of tokens with made-up kids: one refetch per interval, then unknownKey.
            clock.advance(by: 31)
            let ghost = try await Self.rs256(Claims(exp: Self.at(3600)), key: rsa2, kid: "ghost")
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { await Self.expectRefused(verifier, ghost, .unknownKey) } }
            }
            #expect(server.received(path: "/jwks").count == 3)
        }
    }

    @Test func anUnknownKidAfterTheRefetchIsUnknownKey() async throws {
        let (rsa1, rsa2) = (try Keys.rsa1.get(), try Keys.rsa2.get())
        try await Self.withJWKSServer { server in
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa1, kid: "rsa-1"))))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"), minimumRefresh: .zero)
            let ghost = try await Self.rs256(Claims(), key: rsa2, kid: "ghost")
            // First use: the fetch just happened, so no second one.
            let error = await Self.expectRefused(verifier, ghost, .unknownKey)
            #expect(error?.message.contains("ghost") == true)
            #expect(server.received(path: "/jwks").count == 1)
            // Later: exactly one refetch per token, then unknownKey.
            await Self.expectRefused(verifier, ghost, .unknownKey)
            #expect(server.received(path: "/jwks").count == 2)
            await Self.expectRefused(verifier, ghost, .unknownKey)
            #expect(server.received(path: "/jwks").count == 3)
        }
    }

    @Test func concurrentFirstUsesShareOneFetch() async throws {
        let rsa = try Keys.rsa1.get()
        try await Self.withJWKSServer { server in
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa, kid: "rsa-1")), delay: .milliseconds(100)))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"), minimumRefresh: .zero)
            let token = try await Self.rs256(Claims(), key: rsa, kid: "rsa-1")
            try await withThrowingTaskGroup(of: HubClaims.self) { group in
                for _ in 0..<10 { group.addTask { try await verifier.verify(token) } }
                try await group.waitForAll()
            }
            #expect(server.received(path: "/jwks").count == 1)
        }
    }

    @Test func aJWKSThatCannotBeFetchedIsJWKSUnavailable() async throws {
        let rsa = try Keys.rsa1.get()
        let token = try await Self.rs256(Claims(exp: Self.at(3600)), key: rsa, kid: "rsa-1")
        try await Self.withJWKSServer { server in
            let clock = TestClock(Self.t0)
            server.answerAlways(.init(status: 500, body: #"{"error":"down"}"#))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"), clock: clock, minimumRefresh: .seconds(30))
            let error = await Self.expectRefused(verifier, token, .jwksUnavailable)
            #expect(error?.httpStatus == 503)
            #expect(error?.message.contains("500") == true)
            // The failure is remembered for minimumRefresh: the Hub is not hammered.
            await Self.expectRefused(verifier, token, .jwksUnavailable)
            #expect(server.received(path: "/jwks").count == 1)

            // Not a JWKS document.
            clock.advance(by: 31)
            server.answerAlways(.init(body: "<html>maintenance</html>"))
            await Self.expectRefused(verifier, token, .jwksUnavailable)
            #expect(server.received(path: "/jwks").count == 2)

            clock.advance(by: 31)
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa, kid: "rsa-1"))))
            _ = try await verifier.verify(token)
            #expect(server.received(path: "/jwks").count == 3)
        }

        // Nothing listening at all (AsyncHTTPClient retries a refused connection until the fetch timeout).
        let closed = try await RecordingHTTPServer()
        let url = closed.url("/jwks")
        await closed.close()
        let verifier = try Self.verifier(secret: nil, jwksURL: url, minimumRefresh: .zero, fetchTimeout: .milliseconds(500))
        await Self.expectRefused(verifier, token, .jwksUnavailable)
    }

    @Test func aStaleJWKSIsFetchedAgainAndKeptWhenTheHubIsDown() async throws {
        let (rsa1, rsa2) = (try Keys.rsa1.get(), try Keys.rsa2.get())
        try await Self.withJWKSServer { server in
            let clock = TestClock(Self.t0)
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa1, kid: "rsa-1"))))
            let verifier = try Self.verifier(secret: nil, jwksURL: server.url("/jwks"), clock: clock, minimumRefresh: .seconds(30))
            let token = try await Self.rs256(Claims(exp: Self.at(7200)), key: rsa1, kid: "rsa-1")
            _ = try await verifier.verify(token)

            // Older than 10 minutes: the next verify fetches again; the Hub is down, so the old keys serve.
            clock.advance(by: 601)
            server.answerAlways(.init(status: 503))
            _ = try await verifier.verify(token)
            #expect(server.received(path: "/jwks").count == 2)
            _ = try await verifier.verify(token)
            #expect(server.received(path: "/jwks").count == 2)

            // Back up with rsa-1 withdrawn: after the interval, the refetch drops it.
            clock.advance(by: 31)
            server.answerAlways(.init(body: try Self.jwks(Self.jwk(rsa2, kid: "rsa-2"))))
            await Self.expectRefused(verifier, token, .unknownKey)
            #expect(server.received(path: "/jwks").count == 3)
        }
    }

    // MARK: Fixtures

    struct Claims: JWTPayload {
        var iss: String? = nil
        var sub: String? = "user-1"
        var tenant_id: String? = "tenant-1"
        var role: String? = "admin"
        var email: String? = "ada@example.test"
        var name: String? = "Ada"
        var exp: Int? = HubTokenVerifierTests.at(300)
        var nbf: Int? = nil

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Keys are generated once per test run (RSA key generation is slow in debug builds).
    enum Keys {
        static let rsa1 = Result { try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)) }
        static let rsa2 = Result { try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)) }
        static let ec1 = P256.Signing.PrivateKey()
        static let ec2 = P256.Signing.PrivateKey()
    }

    final class TestClock: Sendable {
        private let date: Mutex<Date>
        init(_ date: Date) { self.date = Mutex(date) }
        var now: Date { date.withLock { $0 } }
        func advance(by seconds: TimeInterval) { date.withLock { $0 += seconds } }
    }

    static func at(_ offset: Int) -> Int { Int(t0.timeIntervalSince1970) + offset }

    static func verifier(
        secret: String?, jwksURL: String? = nil, issuer: String? = nil, clock: TestClock = TestClock(t0), minimumRefresh: Duration = .seconds(30),
        fetchTimeout: Duration = .seconds(5)
    ) throws -> HubTokenVerifier {
        try HubTokenVerifier(
            secret: secret, jwksURL: jwksURL, issuer: issuer, minimumRefresh: minimumRefresh, fetchTimeout: fetchTimeout, now: { clock.now }
        )
    }

    @discardableResult
    static func expectRefused(
        _ verifier: HubTokenVerifier, _ token: String, _ code: HubTokenError.Code, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async -> HubTokenError? {
        do {
            let claims = try await verifier.verify(token)
            Issue.record("expected \(code), the token was accepted: \(claims)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            return error
        }
    }

    static func withJWKSServer(_ body: (RecordingHTTPServer) async throws -> Void) async throws {
        let server = try await RecordingHTTPServer()
        do {
            try await body(server)
            await server.close()
        } catch {
            await server.close()
            throw error
        }
    }

    static func hs256(_ claims: Claims, secret: String = secret) async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256).sign(claims)
    }

    static func rs256(_ claims: Claims, key: JWTKit.Insecure.RSA.PrivateKey, kid: String) async throws -> String {
        let kid = JWKIdentifier(string: kid)
        return try await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256, kid: kid).sign(claims, kid: kid)
    }

    static func es256(_ claims: Claims, key: P256.Signing.PrivateKey, kid: String) async throws -> String {
        let kid = JWKIdentifier(string: kid)
        return try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(backing: key), kid: kid).sign(claims, kid: kid)
    }

    /// An HS256 token with exactly this header and payload JSON.
    static func signed(header: String, payload: String, secret: String = secret) async throws -> String {
        let input = "\(base64URL(header)).\(base64URL(payload))"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "\(input).\(base64URL(mac))"
    }

    static func jwk(_ key: JWTKit.Insecure.RSA.PrivateKey, kid: String) throws -> String {
        let (n, e) = try key.publicKey.getKeyPrimitives()
        return #"{"kty":"RSA","use":"sig","alg":"RS256","kid":"\#(kid)","n":"\#(base64URL(n))","e":"\#(base64URL(e))"}"#
    }

    static func jwk(_ key: P256.Signing.PrivateKey, kid: String) -> String {
        let point = Array(key.publicKey.x963Representation)  // 0x04 || x || y
        return #"{"kty":"EC","crv":"P-256","alg":"ES256","kid":"\#(kid)","x":"\#(base64URL(point[1..<33]))","y":"\#(base64URL(point[33..<65]))"}"#
    }

    static func jwks(_ keys: String...) -> String { #"{"keys":[\#(keys.joined(separator: ","))]}"# }

    static func base64URL(_ text: String) -> String { base64URL(Array(text.utf8)) }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
