/// Text rules every parser applies.
public enum AlertText {
    /// Longest title kept (longer ones are cut on a character boundary with an ellipsis).
    public static let maximumTitle = 1_024
    /// Longest description kept; never less than the 4,096 characters the API promises.
    public static let maximumDescription = 16_384

    /// `text` cut to at most `limit` characters (grapheme clusters, so no character is split), with `…`.
    public static func clip(_ text: String, to limit: Int) -> String {
        guard limit > 1 else { return String(text.prefix(max(limit, 0))) }
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    /// A title: trimmed, one line (line breaks become spaces), clipped; nil when empty.
    public static func title(_ text: String?) -> String? {
        guard let text else { return nil }
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingWhitespace
        return oneLine.isEmpty ? nil : clip(oneLine, to: maximumTitle)
    }

    /// A description: `\r\n` normalised to `\n`, trimmed, clipped; nil when empty.
    public static func description(_ text: String?) -> String? {
        guard let text else { return nil }
        let normalised = text.replacingCRLF.trimmingWhitespace
        return normalised.isEmpty ? nil : clip(normalised, to: maximumDescription)
    }

    /// A value that is still a macro nobody expanded (`{EVENT.RECOVERY.DATE}`, `$SERVICEDESC$`, `$ALERT_ID`):
    /// it counts as absent.
    public static func isUnexpandedMacro(_ text: String) -> Bool {
        let t = text.trimmingWhitespace
        guard t.count >= 3 else { return false }
        let isMacroBody: (Substring) -> Bool = { body in
            !body.isEmpty && body.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "." || $0 == "_" || $0 == "$" || $0 == "#" }
        }
        if t.hasPrefix("{"), t.hasSuffix("}") { return isMacroBody(t.dropFirst().dropLast()) }
        if t.hasPrefix("$"), t.hasSuffix("$") {
            // Nagios `$SERVICEDESC$`, and Icinga 2's runtime macros, which are lowercase: `$host.name$`.
            let body = t.dropFirst().dropLast()
            return isMacroBody(body) || !body.isEmpty && body.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "_" }
        }
        if t.hasPrefix("$"), let first = t.dropFirst().first, first.isLetter || first == "_" { return isMacroBody(t.dropFirst()) }
        return false
    }
}

extension String {
    var replacingCRLF: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        var previousCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                out.unicodeScalars.append("\n")
                previousCR = true
                continue
            }
            if scalar == "\n" && previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
