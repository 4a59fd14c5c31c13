/// A payload's values by normalised name — letters and digits, lowercased, so `EVENT.ID`, `event_id` and
/// `eventId` are one field — with nested objects flattened into their parents' names (`org.name` is
/// `orgname`); a flat key beats a nested one. For tools whose field names are templates people write by hand.
struct FlatFields {
    private var values: [String: String] = [:]
    /// Values that mean "nothing" for this tool (Zabbix's `*UNKNOWN*`).
    private let absent: Set<String>

    init(_ object: [String: PayloadValue], absent: Set<String> = []) {
        self.absent = absent
        collect(object, prefix: "", depth: 0)
    }

    private mutating func collect(_ object: [String: PayloadValue], prefix: String, depth: Int) {
        let keys = object.keys.sorted()
        for key in keys {
            let name = prefix + Self.normalize(key)
            if values[name] == nil, let text = object[key]?.text { values[name] = text }
        }
        guard depth < 4 else { return }
        for key in keys {
            if case .object(let nested) = object[key] { collect(nested, prefix: prefix + Self.normalize(key), depth: depth + 1) }
        }
    }

    /// The first of `names` with a real value: trimmed, not empty, not an unexpanded `{MACRO}` or `$VARIABLE`,
    /// not one of the tool's "absent" words.
    func text(_ names: String...) -> String? {
        for name in names {
            guard let raw = values[Self.normalize(name)] else { continue }
            let text = raw.trimmingWhitespace
            if text.isEmpty || absent.contains(text) || AlertText.isUnexpandedMacro(text) { continue }
            return text
        }
        return nil
    }

    static func normalize(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) })
    }
}
