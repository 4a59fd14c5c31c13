/// Text on its way to the database. PostgreSQL's `text` cannot hold U+0000 (the statement fails), and a
/// failed statement in a shared batch would fail its neighbours too: a NUL from a sender becomes U+FFFD,
/// the replacement character, so the alert is kept and shows where the odd byte was.
public enum StoredText {
    public static func clean(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { out.append(scalar.value == 0 ? "\u{FFFD}" : scalar) }
        return String(out)
    }

    public static func clean(_ text: String?) -> String? {
        text.map(clean)
    }
}
