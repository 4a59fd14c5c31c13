/// A small JSON value for payloads built in code (sorted keys, so payloads are byte-for-byte stable).
public enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// Appends the compact JSON text (one buffer for the whole value, not a string per member).
    public func write(into out: inout String) {
        switch self {
        case .string(let s): JSONText.quote(s, into: &out)
        case .int(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                JSONText.quote(key, into: &out)
                out += ":"
                fields[key]!.write(into: &out)
            }
            out += "}"
        }
    }
}
