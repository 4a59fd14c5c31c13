import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore
import NIOHTTP1

/// One public key from the Hub's JWKS, ready to verify with.
struct HubVerificationKey: Sendable {
    /// `kid`; nil for a key the JWKS lists without one (then it is tried for tokens without a `kid`).
    var kid: String?
    /// `RS256` or `ES256`.
    var algorithm: String
    var verifier: any JWTAlgorithm
}

/// The usable keys of one JWKS document.
struct HubKeySet: Sendable {
    var keys: [HubVerificationKey]

    enum Lookup {
        case found([HubVerificationKey])
        /// The `kid` exists, but only for other algorithms.
        case wrongAlgorithm(keyAlgorithms: [String])
        case unknown
    }

    func lookup(kid: String?, algorithm: String) -> Lookup {
        guard let kid else {
            let matching = keys.filter { $0.algorithm == algorithm }
            return matching.isEmpty ? .unknown : .found(matching)
        }
        let named = keys.filter { $0.kid == kid }
        if named.isEmpty { return .unknown }
        let matching = named.filter { $0.algorithm == algorithm }
        return matching.isEmpty ? .wrongAlgorithm(keyAlgorithms: named.map(\.algorithm)) : .found(matching)
    }

    var summary: String {
        keys.isEmpty ? "no usable keys" : keys.map { "\($0.kid ?? "(no kid)") \($0.algorithm)" }.joined(separator: ", ")
    }
}

/// The Hub's JWKS: fetched on first use, cached, re-fetched when older than `maximumAge` (on the next verify) and
/// when a token names an unknown `kid` — at most once per `minimumRefresh`, which also spaces out retries after a
/// failed fetch. Concurrent callers share one fetch. A failed re-fetch of a stale set keeps the old keys (logged).
actor HubJWKSCache {
    let url: String
    let client: HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date
    let minimumRefresh: TimeInterval
    let maximumAge: TimeInterval
    let timeout: TimeAmount

    private var keySet: HubKeySet?
    /// When the current `keySet` was fetched.
    private var fetchedAt: Date?
    /// When the last fetch (successful or not) started: the rate limit counts from here.
    private var lastAttempt: Date?
    private var lastFailure: HubTokenError?
    private var inFlight: Task<Result<HubKeySet, HubTokenError>, Never>?

    init(url: String, client: HTTPClient, logger: Logger, now: @escaping @Sendable () -> Date,
         minimumRefresh: TimeInterval, maximumAge: TimeInterval, timeout: TimeAmount) {
        self.url = url
        self.client = client
        self.logger = logger
        self.now = now
        self.minimumRefresh = minimumRefresh
        self.maximumAge = maximumAge
        self.timeout = timeout
    }

    /// The keys that may have signed a token with this `kid` and `alg` (`RS256` or `ES256`).
    func keys(kid: String?, algorithm: String) async throws(HubTokenError) -> [HubVerificationKey] {
        let now = now()
        var fetchedForThisToken = false
        var current: HubKeySet
        if let keySet, let fetchedAt {
            current = keySet
            let age = now.timeIntervalSince(fetchedAt)
            // (A clock that went backwards counts as stale too, or nothing would be fetched until it caught up.)
            if age >= maximumAge || age < 0, mayFetch(at: now) {
                fetchedForThisToken = true
                do throws(HubTokenError) {
                    current = try await refresh()
                } catch {
                    logger.warning("Hub JWKS re-fetch failed; keeping the keys fetched at \(fetchedAt): \(error.message)")
                }
            }
        } else {
            if inFlight == nil, let lastFailure, !mayFetch(at: now) { throw lastFailure }
            current = try await refresh()
            fetchedForThisToken = true
        }

        switch current.lookup(kid: kid, algorithm: algorithm) {
        case .found(let keys):
            return keys
        case .wrongAlgorithm(let algorithms):
            throw Self.wrongAlgorithm(kid: kid, algorithm: algorithm, keyAlgorithms: algorithms)
        case .unknown:
            // A new kid usually means the Hub rotated its keys: look once more, unless that was just done.
            guard !fetchedForThisToken, inFlight != nil || mayFetch(at: now) else { throw Self.unknownKey(kid: kid, algorithm: algorithm) }
        }

        switch try await refresh().lookup(kid: kid, algorithm: algorithm) {
        case .found(let keys):
            return keys
        case .wrongAlgorithm(let algorithms):
            throw Self.wrongAlgorithm(kid: kid, algorithm: algorithm, keyAlgorithms: algorithms)
        case .unknown:
            throw Self.unknownKey(kid: kid, algorithm: algorithm)
        }
    }

    private func mayFetch(at now: Date) -> Bool {
        guard let lastAttempt else { return true }
        let elapsed = now.timeIntervalSince(lastAttempt)
        return elapsed >= minimumRefresh || elapsed < 0
    }

    /// Fetches the JWKS, or joins the fetch already running.
    private func refresh() async throws(HubTokenError) -> HubKeySet {
        if let inFlight { return try await inFlight.value.get() }
        let started = now()
        lastAttempt = started
        let (url, client, logger, timeout) = (self.url, self.client, self.logger, self.timeout)
        let task = Task { await Self.fetch(url: url, client: client, logger: logger, timeout: timeout) }
        inFlight = task
        let result = await task.value
        inFlight = nil
        switch result {
        case .success(let keySet):
            self.keySet = keySet
            fetchedAt = started
            lastFailure = nil
            logger.info("fetched the Hub JWKS: \(keySet.summary)")
        case .failure(let error):
            lastFailure = error
            logger.warning("Hub JWKS fetch failed: \(error.message)")
        }
        return try result.get()
    }

    static func unknownKey(kid: String?, algorithm: String) -> HubTokenError {
        if let kid {
            HubTokenError(.unknownKey, "the Hub JWKS has no key \(HubTokenVerifier.quoted(kid))")
        } else {
            HubTokenError(.unknownKey, "the token has no kid and the Hub JWKS has no \(algorithm) key")
        }
    }

    static func wrongAlgorithm(kid: String?, algorithm: String, keyAlgorithms: [String]) -> HubTokenError {
        HubTokenError(
            .unsupportedAlgorithm,
            "the token says \(algorithm) but key \(HubTokenVerifier.quoted(kid ?? "")) is for \(keyAlgorithms.joined(separator: ", "))"
        )
    }

    // MARK: Fetching and parsing

    static let maximumDocumentSize = 1 << 20

    static func fetch(url: String, client: HTTPClient, logger: Logger, timeout: TimeAmount) async -> Result<HubKeySet, HubTokenError> {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        request.headers.add(name: "User-Agent", value: "theoneoncall-api")
        let body: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: timeout)
            guard response.status == .ok else {
                _ = try? await response.body.collect(upTo: 64 * 1024)
                return .failure(HubTokenError(.jwksUnavailable, "GET \(url) answered HTTP \(response.status.code)"))
            }
            body = try await response.body.collect(upTo: maximumDocumentSize)
        } catch {
            return .failure(HubTokenError(.jwksUnavailable, "GET \(url) failed: \(error)"))
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(body.readableBytesView))
        } catch {
            return .failure(HubTokenError(.jwksUnavailable, "GET \(url) did not return a JWKS document (a JSON object with a keys array)"))
        }
        var keys: [HubVerificationKey] = []
        for (index, entry) in document.keys.enumerated() {
            do {
                if let key = try await entry.verificationKey() {
                    keys.append(key)
                } else {
                    logger.debug("Hub JWKS key \(entry.kid ?? "#\(index)") skipped: kty \(entry.kty ?? "-"), alg \(entry.alg ?? "-"), use \(entry.use ?? "-")")
                }
            } catch {
                logger.warning("Hub JWKS key \(entry.kid ?? "#\(index)") is unusable: \(error)")
            }
        }
        return .success(HubKeySet(keys: keys))
    }

    struct Document: Decodable {
        var keys: [Entry]
    }

    /// A JWK read leniently: every member optional, a member of the wrong type counts as absent, so one odd key
    /// does not spoil the set (jwt-kit's `JWK` fails to decode on a `kty` it does not know, `oct` for example).
    struct Entry: Decodable {
        var kty, kid, alg, use, n, e, crv, x, y: String?

        enum CodingKeys: String, CodingKey { case kty, kid, alg, use, n, e, crv, x, y }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func string(_ key: CodingKeys) -> String? { (try? c.decodeIfPresent(String.self, forKey: key)) ?? nil }
            (kty, kid, alg, use) = (string(.kty), string(.kid), string(.alg), string(.use))
            (n, e, crv, x, y) = (string(.n), string(.e), string(.crv), string(.x), string(.y))
        }

        struct Unusable: Error, CustomStringConvertible { var description: String }

        /// The key as RS256 or ES256; nil for a key of another kind or use (skipped, not an error).
        func verificationKey() async throws -> HubVerificationKey? {
            if let use, use != "sig" { return nil }
            let keys = JWTKeyCollection()
            switch kty {
            case "RSA":
                guard alg == nil || alg == "RS256" else { return nil }
                guard let n, let e else { throw Unusable(description: "an RSA key needs n and e") }
                // jwt-kit refuses moduli under 2048 bits.
                let key = try Insecure.RSA.PublicKey(modulus: n, exponent: e)
                await keys.add(rsa: key, digestAlgorithm: .sha256)
                return HubVerificationKey(kid: kid, algorithm: "RS256", verifier: try await keys.getKey())
            case "EC":
                guard alg == nil || alg == "ES256", crv == "P-256" else { return nil }
                guard let x, let y else { throw Unusable(description: "an EC key needs x and y") }
                let key = try ES256PublicKey(parameters: (x: x, y: y))
                await keys.add(ecdsa: key)
                return HubVerificationKey(kid: kid, algorithm: "ES256", verifier: try await keys.getKey())
            default:
                return nil
            }
        }
    }
}
