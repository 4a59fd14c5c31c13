/// Icinga 2 (and Icinga 1) notifications: read exactly as ``NagiosParser`` reads them, under source `icinga`.
public struct IcingaParser: AlertParser {
    public let source = "icinga"

    public init() {}

    public func parse(_ payload: InboundPayload) throws(ParseError) -> [NormalizedAlert] {
        try NagiosParser(source: source).parse(payload)
    }
}
