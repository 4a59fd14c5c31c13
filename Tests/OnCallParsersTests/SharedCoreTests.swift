import OnCallCore
import OnCallParsers
import Testing

/// The shared core every parser stands on: body sniffing, the JSON reader, forms, severity words, text rules.
@Suite struct SharedCoreTests {
    static let form = "application/x-www-form-urlencoded"

    func decode(_ text: String, _ contentType: String? = nil) throws(ParseError) -> PayloadValue {
        try PayloadValue.decode(body: Array(text.utf8), contentType: contentType)
    }

    func error(_ text: String, _ contentType: String? = "application/json") -> String? {
        do {
            _ = try decode(text, contentType)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: JSON reader

    @Test(arguments: [
        ("{\n  \"a\": 1,\n  \"b\": tru\n}", "invalid JSON at line 3, column 8: expected 'true'"),
        ("{\"a\": 1,}", "invalid JSON at line 1, column 9: expected a member name in quotes"),
        ("{\"a\" 1}", "invalid JSON at line 1, column 6: expected ':' after the member name"),
        ("[1 2]", "invalid JSON at line 1, column 4: expected ',' or ']' in the array"),
        ("{\"a\": \"b", "invalid JSON at line 1, column 9: the JSON ends inside a string"),
        ("{\"a\":", "invalid JSON at line 1, column 6: the JSON ends early"),
        ("{} x", "invalid JSON at line 1, column 4: unexpected text after the JSON value"),
        ("{\"a\": 01}", "invalid JSON at line 1, column 8: expected ',' or '}' in the object"),
        ("{\"a\": 1.}", "invalid JSON at line 1, column 9: a number needs digits after '.'"),
        ("{\"a\": \"\\x\"}", "invalid JSON at line 1, column 10: unknown escape '\\x'"),
        ("{\"a\": \"\\ud83d\"}", "invalid JSON at line 1, column 14: a lone high surrogate"),
        ("{\"a\": \"\\udea8\"}", "invalid JSON at line 1, column 14: a lone low surrogate"),
        ("{\"a\": \"tab\there\"}", "invalid JSON at line 1, column 11: a control character inside a string (escape it)"),
        ("just words", "invalid JSON at line 1, column 1: expected a JSON value"),
    ])
    func jsonErrorsSayWhere(_ body: String, _ message: String) {
        #expect(error(body) == message)
    }

    /// A form sent with a JSON content type is still read as the form it is.
    @Test func aFormLabelledAsJSONIsReadAsAForm() throws {
        let value = try PayloadValue.decode(body: Array("title=Disk+full&severity=critical".utf8), contentType: "application/json")
        #expect(value["title"]?.text == "Disk full" && value["severity"]?.text == "critical")
    }

    @Test func columnsCountCharactersNotBytes() {
        #expect(error("{\"é🚨\": x}") == "invalid JSON at line 1, column 8: expected a JSON value")
    }

    @Test func crlfLinesCount() {
        #expect(error("{\r\n\"a\": 1,\r\n\"b\" 2}")?.hasPrefix("invalid JSON at line 3, column 5:") == true)
    }

    @Test func nestingIsLimited() {
        #expect(error(String(repeating: "[", count: 300))?.contains("nested more than 256 levels deep") == true)
        #expect(error(String(repeating: "[", count: 200) + String(repeating: "]", count: 200)) == nil)
    }

    @Test func invalidUTF8InAStringIsAnError() {
        let body: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect(throws: ParseError.self) { try PayloadValue.decode(body: body, contentType: nil) }
    }

    @Test func surrogatePairsAndEscapes() throws {
        let value = try decode(#"{"t":"\ud83d\udea8 \u00e9\u0301 \"q\" \\ \/ \b\f\n\r\t","raw":"🚨 東京"}"#)
        #expect(Array(value["t"]?.text?.unicodeScalars ?? "".unicodeScalars)
            == Array("🚨 \u{E9}\u{301} \"q\" \\ / \u{8}\u{C}\n\r\t".unicodeScalars))
        #expect(value["raw"] == .string("🚨 東京"))
    }

    @Test func numbersKeepTheirText() throws {
        let value = try decode(#"{"big":12345678901234567890,"f":1.50,"e":-2E+10,"z":0,"neg":-0.0}"#)
        #expect(value["big"] == .number("12345678901234567890"))
        #expect(value["f"] == .number("1.50"))
        #expect(value["e"] == .number("-2E+10"))
        #expect(value["z"]?.text == "0")
        #expect(value["neg"]?.text == "-0.0")
    }

    @Test func literalsAndStructure() throws {
        let value = try decode(#" { "a" : [ true , false , null , { } , [ ] ] } "#)
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .object([:]), .array([])]))
        #expect(value["a"]?.array?.first?.text == "true")
        #expect(PayloadValue.null.text == nil)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        #expect(try PayloadValue.decode(body: bom + Array(#"{"a":"b"}"#.utf8), contentType: "application/json") == .object(["a": .string("b")]))
        #expect(try PayloadValue.decode(body: bom + Array("a=b".utf8), contentType: Self.form) == .object(["a": .string("b")]))
    }

    // MARK: Sniffing and forms

    @Test func jsonLabelledAsFormIsJSON() throws {
        #expect(try decode(#"{"a":1}"#, Self.form) == .object(["a": .number("1")]))
        #expect(try decode("\n  [1]", Self.form) == .array([.number("1")]))
    }

    @Test func formDecoding() throws {
        let value = try decode("a=b+c&d=%41%42%e2%9c%93&e&a=second&&f=%zz%4&g=x%3Dy%26z&%C3%A9t%C3%A9=summer", Self.form)
        #expect(value["a"] == .string("b c"), "repeated keys keep the first value")
        #expect(value["d"] == .string("AB✓"))
        #expect(value["e"] == .string(""))
        #expect(value["f"] == .string("%zz%4"), "a malformed escape is kept as written")
        #expect(value["g"] == .string("x=y&z"))
        #expect(value["été"] == .string("summer"))
        #expect(value.object?.count == 6)
    }

    @Test func formWithoutContentType() throws {
        #expect(try decode("HOSTNAME=web-01&HOSTSTATE=DOWN") == .object(["HOSTNAME": .string("web-01"), "HOSTSTATE": .string("DOWN")]))
    }

    @Test(arguments: ["", "   \n\t", "\u{FEFF}"])
    func emptyBodyIsAnError(_ body: String) {
        #expect(error(body, nil) == "the body is empty")
    }

    @Test func plainTextIsNeitherJSONNorForm() {
        #expect(error("the disk is full", "text/plain") == "the body is neither JSON nor a form (key=value&…)")
    }

    @Test func inboundPayloadValue() throws {
        let payload = InboundPayload(text: "a=1", contentType: Self.form, query: ["q": "2"])
        #expect(try payload.value() == .object(["a": .string("1")]))
        #expect(payload.query["q"] == "2")
    }

    @Test func fieldLookupIsCaseInsensitiveInNameOrder() throws {
        let value = try decode(#"{"Title":"t","SUMMARY":"s","n":"  ","x":[1]}"#)
        #expect(value.field("title")?.text == "t")
        #expect(value.field("summary", "title")?.text == "s")
        #expect(value.field("missing") == nil)
        #expect(value.field("n")?.nonEmptyText == nil)
        #expect(value.field("x")?.text == nil)
        #expect(PayloadValue.string("a").field("a") == nil)
    }

    // MARK: Severity words

    @Test(arguments: [
        ("critical", Severity.critical), ("CRIT", .critical), ("Fatal", .critical), ("emerg", .critical), ("disaster", .critical),
        ("P1", .critical), ("sev-1", .critical), ("DOWN", .critical),
        ("error", .high), ("err", .high), ("High", .high), ("major", .high), ("unknown", .high), ("UNREACHABLE", .high), ("sev2", .high),
        (" Warning ", .medium), ("warn", .medium), ("average", .medium), ("p3", .medium),
        ("low", .low), ("minor", .low), ("notice", .low), ("SEV-4", .low),
        ("info", .info), ("informational", .info), ("ok", .info), ("none", .info), ("debug", .info), ("Not Classified", .info), ("P5", .info),
    ])
    func severityWords(_ word: String, _ severity: Severity) {
        #expect(SeverityText.normalize(word) == severity)
    }

    @Test(arguments: ["", "banana", "firing", "resolved", "6", "p0"])
    func unknownSeverityWords(_ word: String) {
        #expect(SeverityText.normalize(word) == nil)
    }

    @Test func zabbixNumbersAndFallback() {
        #expect((0...5).map(SeverityText.zabbix) == [.info, .info, .medium, .medium, .high, .critical])
        #expect(SeverityText.zabbix(6) == nil)
        #expect(SeverityText.fallback == .medium)
    }

    // MARK: Text rules

    @Test func clipKeepsGraphemesWhole() {
        #expect(AlertText.clip("👍🏽👍🏽👍🏽", to: 2) == "👍🏽…")
        #expect(AlertText.clip("🇯🇵🇫🇷🇩🇪", to: 3) == "🇯🇵🇫🇷🇩🇪")
        #expect(AlertText.clip("🇯🇵🇫🇷🇩🇪", to: 2) == "🇯🇵…")
        let clipped = AlertText.clip("e\u{301}e\u{301}e\u{301}", to: 2)
        #expect(Array(clipped.unicodeScalars) == ["e", "\u{301}", "…"])
        #expect(AlertText.clip("short", to: 10) == "short")
    }

    @Test func titleIsOneTrimmedClippedLine() {
        #expect(AlertText.title("  disk\nfull\r\non db-01  ") == "disk full on db-01")
        #expect(AlertText.title("  \n ") == nil)
        #expect(AlertText.title(nil) == nil)
        let long = AlertText.title(String(repeating: "x", count: 5_000))
        #expect(long?.count == AlertText.maximumTitle)
        #expect(long?.hasSuffix("…") == true)
    }

    @Test func descriptionNormalisesLineEndings() {
        #expect(AlertText.description(" a\r\nb\rc\n ") == "a\nb\nc")
        #expect(AlertText.description("\n\n") == nil)
        #expect(AlertText.description(String(repeating: "y", count: 20_000))?.count == AlertText.maximumDescription)
        #expect(AlertText.maximumDescription >= 4_096)
    }

    @Test(arguments: [
        ("$SERVICEDESC$", true), ("$HOSTNAME$", true), ("{EVENT.RECOVERY.DATE}", true), ("{ALERT.SUBJECT}", true), ("$ALERT_ID", true),
        ("  $SERVICESTATE$ ", true), ("{#TRIGGER.ID}", true),
        ("web-01", false), ("$5 off", false), ("{}", false), ("$$", false), ("{\"a\":1}", false), ("Price: $10", false),
        ("{lower}", false),
    ])
    func unexpandedMacros(_ text: String, _ isMacro: Bool) {
        #expect(AlertText.isUnexpandedMacro(text) == isMacro)
    }
}
