/// A configuration value as plain data, keys in the order the file format lists them; rendered as JSON or YAML.
indirect enum ConfigurationTree {
    case text(String)
    case number(Int)
    case flag(Bool)
    case null
    case list([ConfigurationTree])
    case object([(String, ConfigurationTree)])

    // MARK: JSON

    /// Compact JSON (`{"id":"alice",...}`), or indented by two spaces when `pretty`.
    func json(pretty: Bool) -> String {
        var out = ""
        writeJSON(into: &out, pretty: pretty, indent: "")
        return out
    }

    private func writeJSON(into out: inout String, pretty: Bool, indent: String) {
        switch self {
        case .text(let text): out += JSONText.quoted(text)
        case .number(let number): out += String(number)
        case .flag(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .list(let items):
            guard !items.isEmpty else { out += "[]"; return }
            let inner = indent + "  "
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + inner }
                item.writeJSON(into: &out, pretty: pretty, indent: inner)
            }
            out += pretty ? "\n" + indent + "]" : "]"
        case .object(let fields):
            guard !fields.isEmpty else { out += "{}"; return }
            let inner = indent + "  "
            out += "{"
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + inner }
                out += JSONText.quoted(key) + (pretty ? ": " : ":")
                value.writeJSON(into: &out, pretty: pretty, indent: inner)
            }
            out += pretty ? "\n" + indent + "}" : "}"
        }
    }

    // MARK: YAML

    /// Block-style YAML in the format's own layout; null fields are left out. Ends with a newline.
    func yaml() -> String {
        var out = ""
        switch self {
        case .object(let fields) where isBlock:
            writeYAMLFields(fields, into: &out, indent: "", firstPrefix: "")
        case .list(let items) where isBlock:
            writeYAMLItems(items, into: &out, indent: "")
        default:
            out += inlineYAML + "\n"
        }
        return out
    }

    private var isNull: Bool { if case .null = self { true } else { false } }

    /// The value on one line, in flow style.
    private var inlineYAML: String {
        var out = ""
        _ = writeInline(into: &out, limit: .max)
        return out
    }

    /// Appends the flow-style text; false as soon as `out` grows past `limit` (the rest is then left out).
    private func writeInline(into out: inout String, limit: Int) -> Bool {
        switch self {
        case .text(let text): out += Self.yamlScalar(text)
        case .number(let number): out += String(number)
        case .flag(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                guard item.writeInline(into: &out, limit: limit) else { return false }
            }
            out += "]"
        case .object(let fields):
            let present = fields.filter { !$0.1.isNull }
            guard !present.isEmpty else { out += "{}"; break }
            out += "{ "
            for (i, (key, value)) in present.enumerated() {
                out += (i > 0 ? ", " : "") + key + ": "
                guard value.writeInline(into: &out, limit: limit) else { return false }
            }
            out += " }"
        }
        return out.utf8.count <= limit
    }

    /// Written on one line in flow style when it fits in `flowWidth` (`{ id: alice-sms, type: sms, to: "+33612345678" }`),
    /// as people write short lists and mappings in the file.
    private var isInline: Bool {
        var out = ""
        return writeInline(into: &out, limit: Self.flowWidth)
    }

    private static let flowWidth = 80

    private var isBlock: Bool {
        switch self {
        // A list of mappings takes a line per item even when it would fit on one: diffs stay readable.
        case .list(let items): !items.isEmpty && (!isInline || items.contains { if case .object = $0 { true } else { false } })
        case .object(let fields): fields.contains { !$0.1.isNull } && !isInline
        default: false
        }
    }

    /// Mapping lines; the first line starts with `firstPrefix` (`- ` in a list) instead of the indent.
    private func writeYAMLFields(_ fields: [(String, ConfigurationTree)], into out: inout String, indent: String, firstPrefix: String) {
        var first = true
        for (key, value) in fields where !value.isNull {
            out += first ? firstPrefix : indent
            first = false
            out += key + ":"
            switch value {
            case .object(let inner) where value.isBlock:
                out += "\n"
                writeYAMLFields(inner, into: &out, indent: indent + "  ", firstPrefix: indent + "  ")
            case .list(let items) where value.isBlock:
                out += "\n"
                writeYAMLItems(items, into: &out, indent: indent + "  ")
            default:
                out += " " + value.inlineYAML + "\n"
            }
        }
        if first { out += firstPrefix + "{}\n" }
    }

    private func writeYAMLItems(_ items: [ConfigurationTree], into out: inout String, indent: String) {
        for item in items {
            switch item {
            case .object(let fields) where item.isBlock:
                writeYAMLFields(fields, into: &out, indent: indent + "  ", firstPrefix: indent + "- ")
            case .list(let inner) where item.isBlock:
                out += indent + "-\n"
                writeYAMLItems(inner, into: &out, indent: indent + "  ")
            default:
                out += indent + "- " + item.inlineYAML + "\n"
            }
        }
    }

    /// Plain when it cannot be misread (`alice`, `Primary on-call`, `5m`), otherwise double-quoted with JSON's escapes
    /// (which YAML shares).
    static func yamlScalar(_ text: String) -> String {
        let reserved: Set<String> = ["null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE",
                                     "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"]
        guard let first = text.first, let last = text.last, !reserved.contains(text),
              first.isLetter || first.isNumber || first == "_" || first == ".", last != " ",
              text.allSatisfy({ $0.isLetter || $0.isNumber || " _-./@+()".contains($0) }),
              !text.contains("  ") else { return JSONText.quoted(text) }
        return text
    }
}
