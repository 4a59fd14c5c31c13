public import OnCallCore

/// A request body as it arrived, with what a parser may need around it.
public struct InboundPayload: Sendable {
    public var body: [UInt8]
    /// The Content-Type header as sent (not to be trusted: curl -d labels JSON as a form).
    public var contentType: String?
    /// The query string's parameters (tools that can only call a URL put fields there), first value wins.
    public var query: [String: String]
    public var options: ParseOptions

    public init(body: [UInt8], contentType: String? = nil, query: [String: String] = [:], options: ParseOptions = ParseOptions()) {
        self.body = body
        self.contentType = contentType
        self.query = query
        self.options = options
    }

    public init(text: String, contentType: String? = nil, query: [String: String] = [:], options: ParseOptions = ParseOptions()) {
        self.init(body: Array(text.utf8), contentType: contentType, query: query, options: options)
    }

    /// The body as a value tree: JSON when it looks like JSON (whatever the header says), a form when it
    /// looks like `a=b&c=d`. Throws ``ParseError`` saying where a JSON body is broken.
    public func value() throws(ParseError) -> PayloadValue {
        try PayloadValue.decode(body: body, contentType: contentType)
    }
}

/// Per-integration choices that change how a payload is read.
public struct ParseOptions: Sendable, Equatable {
    /// Alertmanager and Grafana: one incident per notification group (default) or per alert fingerprint.
    public typealias Grouping = Integration.Grouping

    public var grouping: Grouping

    public init(grouping: Grouping = .perGroup) {
        self.grouping = grouping
    }
}

/// Why a payload could not be read: 400 with this message.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One source's reading of its payloads. Pure: no clock, no I/O.
public protocol AlertParser: Sendable {
    /// The integration type it serves (`nagios`, `zabbix`, …).
    var source: String { get }
    /// The alerts in the payload (several for Alertmanager/Grafana per-alert grouping), in payload order.
    func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert]
}
