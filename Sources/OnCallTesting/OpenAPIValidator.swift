public import Foundation

/// Checks real responses against an OpenAPI 3.1 document (`Sources/OnCallHTTP/Resources/openapi.json`), so tests
/// can prove the server says what the document says.
///
/// Dependency-free: the document and bodies are read with `JSONSerialization` into a small Sendable JSON value
/// (telling JSON booleans from numbers), and the JSON Schema subset the document uses is checked: local `$ref`,
/// `type` (one or several), `properties`, `required`, `additionalProperties`, `items`, `minItems`/`maxItems`,
/// `enum`, `const`, `oneOf`/`anyOf`/`allOf`/`not`, `minimum`/`maximum` (and the exclusive forms),
/// `minLength`/`maxLength`, `pattern`, and `format` `date-time`, `date` and `uuid` (loosely).
public struct OpenAPIValidator: Sendable {
    /// The document is not an OpenAPI document this checker can use.
    public struct DocumentError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// A JSON value; `Equatable` gives JSON equality for `enum` and `const` (numbers compare by value).
    enum JSON: Sendable, Equatable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSON])
        case object([String: JSON])

        subscript(key: String) -> JSON? {
            if case .object(let fields) = self { return fields[key] }
            return nil
        }

        var objectValue: [String: JSON]? {
            if case .object(let fields) = self { return fields }
            return nil
        }

        var stringValue: String? {
            if case .string(let text) = self { return text }
            return nil
        }

        var numberValue: Double? {
            if case .number(let number) = self { return number }
            return nil
        }

        /// The JSON Schema type name of the value (`integer` for a whole number).
        var typeName: String {
            switch self {
            case .null: "null"
            case .bool: "boolean"
            case .number(let number): Self.isWhole(number) ? "integer" : "number"
            case .string: "string"
            case .array: "array"
            case .object: "object"
            }
        }

        static func isWhole(_ number: Double) -> Bool { number.isFinite && number == number.rounded(.towardZero) }

        func matches(type name: String) -> Bool {
            switch (name, self) {
            case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
            case ("integer", .number(let number)): Self.isWhole(number)
            default: false
            }
        }

        /// What `JSONSerialization` produced, as a value. A JSON `true` is an `NSNumber` too: its class is the
        /// boolean one (`__NSCFBoolean`), whereas `1` is a plain number, on Darwin and on Linux alike.
        init(foundation any: Any) {
            if any is NSNull {
                self = .null
            } else if let text = any as? String {
                self = .string(text)
            } else if let number = any as? NSNumber {
                self = Self.isBoolean(number) ? .bool(number.boolValue) : .number(number.doubleValue)
            } else if let items = any as? [Any] {
                self = .array(items.map { JSON(foundation: $0) })
            } else if let fields = any as? [String: Any] {
                self = .object(fields.mapValues { JSON(foundation: $0) })
            } else {
                self = .string(String(describing: any))
            }
        }

        static func isBoolean(_ number: NSNumber) -> Bool {
            ObjectIdentifier(type(of: number)) == ObjectIdentifier(type(of: NSNumber(value: true)))
        }

        static func parse(_ data: Data) throws -> JSON {
            JSON(foundation: try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        }
    }

    struct PathTemplate: Sendable {
        var template: String
        var segments: [String]
        /// Lowercased method → operation object.
        var operations: [String: JSON]
    }

    let root: JSON
    let templates: [PathTemplate]

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    public init(document: Data) throws {
        let root: JSON
        do {
            root = try JSON.parse(document)
        } catch {
            throw DocumentError(description: "the document is not JSON: \(error)")
        }
        guard let version = root["openapi"]?.stringValue, version.hasPrefix("3.") else {
            throw DocumentError(description: "not an OpenAPI 3 document (no `openapi: 3.x`)")
        }
        guard let paths = root["paths"]?.objectValue else { throw DocumentError(description: "the document has no `paths` object") }
        self.root = root
        self.templates = paths.keys.sorted().map { template in
            var operations: [String: JSON] = [:]
            for (method, operation) in paths[template]?.objectValue ?? [:] where Self.methods.contains(method.lowercased()) {
                operations[method.lowercased()] = operation
            }
            return PathTemplate(template: template, segments: Self.segments(of: template), operations: operations)
        }
    }

    /// Every (METHOD, template) the document describes, sorted by path, then method.
    public var operations: [(method: String, path: String)] {
        templates.flatMap { template in template.operations.keys.sorted().map { (method: $0.uppercased(), path: template.template) } }
    }

    /// The documented path template `path` is answered by for `method` (nil: none), as ``operations`` names it.
    public func template(method: String, path: String) -> String? {
        let actual = Self.segments(of: Self.pathOnly(path))
        return templates.filter { Self.matches($0.segments, actual) && $0.operations[method.lowercased()] != nil }
            .max(by: { Self.literalCount($0.segments) < Self.literalCount($1.segments) })?.template
    }

    /// Problems (empty when fine) for a response: finds the operation whose path template matches `path`
    /// (ignore the query string; `{id}` matches one segment), the response for `status` (or "default", or
    /// "4XX"-style ranges), and validates `body` (JSON) against its application/json schema. A missing
    /// operation/status is itself a problem.
    public func problems(method: String, path: String, status: Int, contentType: String?, body: [UInt8]) -> [String] {
        let method = method.lowercased()
        let actual = Self.segments(of: Self.pathOnly(path))
        let matching = templates.filter { Self.matches($0.segments, actual) }
        let label = "\(method.uppercased()) \(Self.pathOnly(path))"
        guard !matching.isEmpty else { return ["\(label): no path of the document matches"] }
        let candidates = matching.filter { $0.operations[method] != nil }
        guard let template = candidates.max(by: { Self.literalCount($0.segments) < Self.literalCount($1.segments) }),
              let operation = template.operations[method] else {
            let known = Set(matching.flatMap { $0.operations.keys }).sorted().map { $0.uppercased() }
            return ["\(label): the document has no \(method.uppercased()) operation for \(matching[0].template) (it has \(known.joined(separator: ", ")))"]
        }
        let site = "\(method.uppercased()) \(template.template) → \(status)"

        guard let responses = resolve(operation["responses"] ?? .null)?.objectValue else {
            return ["\(site): the operation declares no responses"]
        }
        let rangeKey = "\(status / 100)XX"
        let key = responses[String(status)] != nil ? String(status)
            : responses.keys.first { $0.uppercased() == rangeKey } ?? (responses["default"] != nil ? "default" : nil)
        guard let key, let declared = responses[key], let response = resolve(declared) else {
            return ["\(site): status \(status) is not documented (documented: \(responses.keys.sorted().joined(separator: ", ")))"]
        }

        let content = response["content"]?.objectValue ?? [:]
        if content.isEmpty {
            return body.isEmpty ? [] : ["\(site): the document declares no body, but the response has \(body.count) bytes"]
        }
        let declaredTypes = content.keys.sorted()
        let mediaType: String
        if let contentType {
            let base = Self.baseMediaType(contentType)
            guard let found = declaredTypes.first(where: { Self.mediaType(base, matches: Self.baseMediaType($0)) }) else {
                return ["\(site): content type \(contentType) is not declared (declared: \(declaredTypes.joined(separator: ", ")))"]
            }
            mediaType = found
        } else if let json = declaredTypes.first(where: { Self.isJSON(Self.baseMediaType($0)) }) {
            mediaType = json  // no header given: judge the body as the JSON the response declares
        } else {
            return ["\(site): the response has no Content-Type (declared: \(declaredTypes.joined(separator: ", ")))"]
        }
        guard Self.isJSON(Self.baseMediaType(mediaType)) else { return [] }
        guard !body.isEmpty else { return ["\(site): expected a JSON body (\(mediaType)), got none"] }
        let value: JSON
        do {
            value = try JSON.parse(Data(body))
        } catch {
            return ["\(site): $: the body is not valid JSON"]
        }
        guard let schema = content[mediaType]?["schema"] else { return [] }
        var problems: [String] = []
        validate(value, against: schema, at: "$", into: &problems, depth: 0)
        return problems.map { "\(site): \($0)" }
    }

    // MARK: Paths and media types

    static func pathOnly(_ path: String) -> String {
        var text = Substring(path)
        if let scheme = text.range(of: "://") {
            text = text[scheme.upperBound...]
            text = text.firstIndex(of: "/").map { text[$0...] } ?? "/"
        }
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<cut] }
        return String(text)
    }

    static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { String($0) }
    }

    static func isParameter(_ segment: String) -> Bool { segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 }

    static func matches(_ template: [String], _ actual: [String]) -> Bool {
        guard template.count == actual.count else { return false }
        for (expected, segment) in zip(template, actual) {
            if isParameter(expected) { continue }
            if expected != segment && expected != (segment.removingPercentEncoding ?? segment) { return false }
        }
        return true
    }

    static func literalCount(_ segments: [String]) -> Int { segments.filter { !isParameter($0) }.count }

    static func baseMediaType(_ text: String) -> String {
        (text.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    static func mediaType(_ actual: String, matches declared: String) -> Bool {
        if declared == actual || declared == "*/*" { return true }
        if declared.hasSuffix("/*") { return actual.hasPrefix(declared.dropLast()) }
        return false
    }

    static func isJSON(_ base: String) -> Bool { base == "application/json" || base.hasSuffix("+json") }

    // MARK: References

    /// Follows `$ref` chains of a response or schema object (local references only).
    func resolve(_ value: JSON) -> JSON? {
        var current = value
        for _ in 0..<32 {
            guard let reference = current["$ref"]?.stringValue else { return current }
            guard let target = lookUp(reference) else { return nil }
            current = target
        }
        return nil
    }

    func lookUp(_ reference: String) -> JSON? {
        guard reference.hasPrefix("#") else { return nil }
        var current = root
        for raw in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let token = (String(raw).removingPercentEncoding ?? String(raw)).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object(let fields):
                guard let next = fields[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    // MARK: Schemas

    static func child(_ path: String, _ key: String) -> String {
        let plain = key.first.map { $0.isLetter || $0 == "_" } == true && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    static func describe(_ value: JSON) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): JSON.isWhole(number) && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): "\"\(text.count > 60 ? String(text.prefix(57)) + "..." : text)\""
        case .array(let items): "an array of \(items.count)"
        case .object: "an object"
        }
    }

    func validate(_ value: JSON, against schema: JSON, at path: String, into problems: inout [String], depth: Int) {
        guard depth < 64 else {
            problems.append("\(path): schema nesting too deep (a $ref cycle?)")
            return
        }
        switch schema {
        case .bool(true): return
        case .bool(false):
            problems.append("\(path): no value is allowed here")
            return
        case .object: break
        default:
            problems.append("\(path): the schema is not an object")
            return
        }

        if let reference = schema["$ref"]?.stringValue {
            guard let target = lookUp(reference) else {
                problems.append("\(path): unresolvable $ref \(reference)")
                return
            }
            validate(value, against: target, at: path, into: &problems, depth: depth + 1)
        }

        // type: when it fails, the other keywords would only repeat it.
        if let type = schema["type"] {
            let names: [String]
            switch type {
            case .string(let name): names = [name]
            case .array(let items): names = items.compactMap(\.stringValue)
            default: names = []
            }
            if !names.isEmpty && !names.contains(where: value.matches(type:)) {
                problems.append("\(path): expected \(names.joined(separator: " or ")), got \(value.typeName)")
                return
            }
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            problems.append("\(path): \(Self.describe(value)) is not one of \(allowed.map(Self.describe).joined(separator: ", "))")
        }
        if let constant = schema["const"], constant != value {
            problems.append("\(path): expected \(Self.describe(constant)), got \(Self.describe(value))")
        }

        switch value {
        case .number(let number):
            if let minimum = schema["minimum"]?.numberValue, number < minimum { problems.append("\(path): \(Self.describe(value)) is below the minimum \(Self.describe(.number(minimum)))") }
            if let maximum = schema["maximum"]?.numberValue, number > maximum { problems.append("\(path): \(Self.describe(value)) is above the maximum \(Self.describe(.number(maximum)))") }
            if let bound = schema["exclusiveMinimum"]?.numberValue, number <= bound { problems.append("\(path): \(Self.describe(value)) is not above \(Self.describe(.number(bound)))") }
            if let bound = schema["exclusiveMaximum"]?.numberValue, number >= bound { problems.append("\(path): \(Self.describe(value)) is not below \(Self.describe(.number(bound)))") }
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = schema["minLength"]?.numberValue, Double(length) < minimum { problems.append("\(path): shorter than \(Int(minimum)) characters") }
            if let maximum = schema["maxLength"]?.numberValue, Double(length) > maximum { problems.append("\(path): longer than \(Int(maximum)) characters") }
            if let pattern = schema["pattern"]?.stringValue {
                switch Self.search(pattern, in: text) {
                case nil: problems.append("\(path): the schema's pattern \(pattern) is not a valid regular expression")
                case false?: problems.append("\(path): \(Self.describe(value)) does not match \(pattern)")
                case true?: break
                }
            }
            if let format = schema["format"]?.stringValue, let check = Self.formats[format], Self.search(check, in: text) == false {
                problems.append("\(path): \(Self.describe(value)) is not a \(format)")
            }
        case .array(let items):
            if let minimum = schema["minItems"]?.numberValue, Double(items.count) < minimum { problems.append("\(path): fewer than \(Int(minimum)) items") }
            if let maximum = schema["maxItems"]?.numberValue, Double(items.count) > maximum { problems.append("\(path): more than \(Int(maximum)) items") }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    validate(item, against: itemSchema, at: "\(path)[\(index)]", into: &problems, depth: depth + 1)
                }
            }
        case .object(let fields):
            if case .array(let required)? = schema["required"] {
                for name in required.compactMap(\.stringValue) where fields[name] == nil {
                    problems.append("\(path): missing required property \"\(name)\"")
                }
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for name in fields.keys.sorted() {
                guard let field = fields[name] else { continue }
                if let propertySchema = properties[name] {
                    validate(field, against: propertySchema, at: Self.child(path, name), into: &problems, depth: depth + 1)
                } else if let additional = schema["additionalProperties"] {
                    if case .bool(false) = additional {
                        problems.append("\(path): unexpected property \"\(name)\"")
                    } else {
                        validate(field, against: additional, at: Self.child(path, name), into: &problems, depth: depth + 1)
                    }
                }
            }
        default:
            break
        }

        if case .array(let all)? = schema["allOf"] {
            for branch in all { validate(value, against: branch, at: path, into: &problems, depth: depth + 1) }
        }
        if case .array(let any)? = schema["anyOf"] {
            let outcomes = any.map { branch in
                var found: [String] = []
                validate(value, against: branch, at: path, into: &found, depth: depth + 1)
                return found
            }
            if !outcomes.contains(where: \.isEmpty) { problems.append(Self.noAlternative("anyOf", path, outcomes)) }
        }
        if case .array(let one)? = schema["oneOf"] {
            let outcomes = one.map { branch in
                var found: [String] = []
                validate(value, against: branch, at: path, into: &found, depth: depth + 1)
                return found
            }
            let passing = outcomes.indices.filter { outcomes[$0].isEmpty }
            if passing.isEmpty {
                problems.append(Self.noAlternative("oneOf", path, outcomes))
            } else if passing.count > 1 {
                problems.append("\(path): matches \(passing.count) oneOf alternatives (\(passing.map { "#\($0 + 1)" }.joined(separator: ", "))), exactly one expected")
            }
        }
        if let negated = schema["not"] {
            var found: [String] = []
            validate(value, against: negated, at: path, into: &found, depth: depth + 1)
            if found.isEmpty { problems.append("\(path): matches a schema it must not match") }
        }
    }

    /// One problem for a failed anyOf/oneOf, naming the closest alternative's problems.
    static func noAlternative(_ keyword: String, _ path: String, _ outcomes: [[String]]) -> String {
        guard let best = outcomes.indices.min(by: { outcomes[$0].count < outcomes[$1].count }) else {
            return "\(path): \(keyword) has no alternatives"
        }
        return "\(path): matches none of the \(keyword) alternatives; closest (#\(best + 1)): \(outcomes[best].joined(separator: "; "))"
    }

    static let formats: [String: String] = [
        "date-time": #"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:?[0-9]{2})$"#,
        "date": #"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"#,
        "uuid": #"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"#,
    ]

    /// Whether `pattern` (ECMA-262 style, unanchored as JSON Schema has it) finds a match; nil for a bad pattern.
    static func search(_ pattern: String, in text: String) -> Bool? {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return nil }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
