/// A decoded body: JSON, or a form read as an object of strings. Numbers keep their literal text (Zabbix and
/// Datadog ids overflow doubles; macros are text anyway).
public indirect enum PayloadValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([PayloadValue])
    case object([String: PayloadValue])

    /// The member `key` of an object (exact name); nil for anything else.
    public subscript(key: String) -> PayloadValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// The first of `names` present in an object, compared case-insensitively (`Title` matches `title`).
    public func field(_ names: String...) -> PayloadValue? { field(names) }

    public func field(_ names: [String]) -> PayloadValue? {
        guard case .object(let fields) = self else { return nil }
        for name in names {
            if let exact = fields[name] { return exact }
            let lowered = name.lowercased()
            // Sorted, so a body with both `Title` and `TITLE` reads the same every time.
            if let match = fields.keys.sorted().first(where: { $0.lowercased() == lowered }) { return fields[match] }
        }
        return nil
    }

    /// Strings as they are; numbers and booleans as their text; nil for null, arrays and objects.
    public var text: String? {
        switch self {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    /// ``text`` trimmed, nil when empty.
    public var nonEmptyText: String? {
        guard let text else { return nil }
        let trimmed = text.trimmingWhitespace
        return trimmed.isEmpty ? nil : trimmed
    }

    public var array: [PayloadValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var object: [String: PayloadValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    /// Reads a body: JSON when it starts like JSON or the header says JSON, a form when it looks like one.
    public static func decode(body: [UInt8], contentType: String?) throws(ParseError) -> PayloadValue {
        var start = 0
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[start]) { start += 1 }
        guard start < body.count else { throw ParseError("the body is empty") }
        let declaredJSON = contentType?.lowercased().contains("json") ?? false
        let looksLikeForm = body[start...].contains(UInt8(ascii: "=")) && !body[start...].contains(UInt8(ascii: "\""))
        if body[start] == UInt8(ascii: "{") || body[start] == UInt8(ascii: "[") || declaredJSON && !looksLikeForm {
            var reader = JSONReader(bytes: body, index: start)
            return try reader.document()
        }
        if body[start...].contains(UInt8(ascii: "=")) {
            return .object(FormBody.fields(Array(body[start...])).mapValues { .string($0) })
        }
        throw ParseError("the body is neither JSON nor a form (key=value&…)")
    }
}

/// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte; repeated keys keep the first value.
public enum FormBody {
    public static func fields(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(Array(parts[0]))
            guard !key.isEmpty, fields[key] == nil else { continue }
            fields[key] = parts.count > 1 ? decode(Array(parts[1])) : ""
        }
        return fields
    }

    /// Percent-decoding with `+` as space; a malformed escape is kept as written.
    public static func decode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(byte)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
