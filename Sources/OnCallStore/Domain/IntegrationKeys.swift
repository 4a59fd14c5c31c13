import Crypto

/// Integration keys: generated from the system's secure random source, stored as SHA-256 only.
///
/// Keys carry 192 bits of randomness, so a fast hash is enough (nothing to brute-force); comparisons of
/// hashes are constant-time.
public enum IntegrationKeys {
    static let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    /// A new key: `oc_` and 32 characters (~190 bits).
    public static func generate() -> String { "oc_" + random(count: 32) }

    /// The unguessable id in a webhook URL (~120 bits), unique across tenants.
    public static func webhookID() -> String { random(count: 21) }

    public static func hash(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }

    /// The last four characters, to tell keys apart in listings.
    public static func hint(_ key: String) -> String { String(key.suffix(4)) }

    /// Whether `key` hashes to `stored`, in time independent of where they differ.
    public static func matches(_ key: String, hash stored: [UInt8]) -> Bool {
        let computed = hash(key)
        guard computed.count == stored.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(computed, stored) { difference |= a ^ b }
        return difference == 0
    }

    static func random(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
