import Foundation
import OnCallCore
import OnCallParsers
import Testing

/// Real-format payloads under fixtures/webhooks/<source>/ (one file per state the tool sends).
enum WebhookFixtures {
    static var root: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/webhooks")
    }

    static func bytes(_ source: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(source).appendingPathComponent(file)))
    }

    /// The fixture as a payload; the content type is what the tool really sends (which may not match the body).
    static func payload(_ source: String, _ file: String, contentType: String? = "application/json", query: [String: String] = [:],
                        options: ParseOptions = ParseOptions()) throws -> InboundPayload {
        InboundPayload(body: try bytes(source, file), contentType: contentType, query: query, options: options)
    }

    /// Every fixture file of a source.
    static func files(_ source: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(source).path).sorted()
    }

    /// Parses a fixture with `parser` and checks the one alert it gives, field by field (the source is the
    /// fixture folder's name).
    static func expectOne(
        _ source: String, _ file: String, contentType: String, parser: some AlertParser, action: NormalizedAlert.Action, dedupKey: String?,
        title: String, severity: Severity, device: String?, description: String?, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let alerts = try parser.parse(payload(source, file, contentType: contentType))
        try #require(alerts.count == 1, sourceLocation: sourceLocation)
        let alert = alerts[0]
        #expect(alert.action == action, sourceLocation: sourceLocation)
        #expect(alert.dedupKey == dedupKey, sourceLocation: sourceLocation)
        #expect(alert.title == title, sourceLocation: sourceLocation)
        #expect(alert.severity == severity, sourceLocation: sourceLocation)
        #expect(alert.device == device, sourceLocation: sourceLocation)
        #expect(alert.description == description, sourceLocation: sourceLocation)
        #expect(alert.source == source, sourceLocation: sourceLocation)
    }
}
