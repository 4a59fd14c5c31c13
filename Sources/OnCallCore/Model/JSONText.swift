/// JSON text written without Foundation's encoder, for hot paths (timeline details, outbox payloads, snapshots).
public enum JSONText {
    /// Appends `text` as a JSON string literal, escaping what JSON requires.
    public static func quote(_ text: String, into out: inout String) {
        out += "\""
        // Most texts need no escape at all: append them whole rather than scalar by scalar.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += text
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case let c where c.value < 0x20:
                    out += "\\u00" + (c.value < 0x10 ? "0" : "") + String(c.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    /// A flat string map as a JSON object with sorted keys.
    public static func object(_ fields: [String: String]) -> String {
        var out = "{"
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            quote(key, into: &out)
            out += ":"
            quote(fields[key]!, into: &out)
        }
        return out + "}"
    }
}
