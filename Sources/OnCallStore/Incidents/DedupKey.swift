import Crypto

/// Dedup keys as stored: at most 255 bytes (PagerDuty's limit, and far below what a B-tree index entry may
/// hold). A longer key (an Alertmanager group key with many labels) keeps a readable start and gets the
/// SHA-256 of the whole key, so two long keys differing only at the end stay distinct.
public enum DedupKey {
    public static let maximumBytes = 255

    public static func bounded(_ key: String) -> String {
        guard key.utf8.count > maximumBytes else { return key }
        let digest = SHA256.hash(data: Array(key.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        var start = ""
        var bytes = 0
        for character in key {
            guard bytes + character.utf8.count <= 180 else { break }
            bytes += character.utf8.count
            start.append(character)
        }
        return start + "#sha256:" + digest
    }
}
