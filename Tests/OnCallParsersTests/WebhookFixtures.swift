import Foundation
import OnCallParsers

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
}
