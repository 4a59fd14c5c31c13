import Foundation
import Logging
import OnCallCore
import OnCallStore
import Synchronization

/// One JSON object per line on standard error (docs/observability.md): `ts`, `level`, `logger`, `msg`, `source`,
/// then the metadata, with `incident.id` and `tenant.id` written as `incident_id` and `tenant_id` so log
/// pipelines can index them. Lines are written whole under a lock, so concurrent tasks never interleave.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    let label: String

    private static let output = Mutex(FileHandle.standardError)

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        Self.output.withLock { $0.write(Data(Self.line(event, label: label, metadata: merged).utf8)) }
    }

    static func line(_ event: LogEvent, label: String, metadata: Logger.Metadata, at date: Date = Date()) -> String {
        var out = "{\"ts\":\"\(Timestamp(date).iso8601)\",\"level\":\"\(event.level.rawValue)\",\"logger\":"
        JSONText.quote(label, into: &out)
        out += ",\"msg\":"
        JSONText.quote(event.message.description, into: &out)
        out += ",\"source\":"
        JSONText.quote(event.source, into: &out)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out += ","
            JSONText.quote(key.replacingOccurrences(of: ".", with: "_"), into: &out)
            out += ":"
            write(value, into: &out)
        }
        return out + "}\n"
    }

    static func write(_ value: Logger.Metadata.Value, into out: inout String) {
        switch value {
        case .string(let text): JSONText.quote(text, into: &out)
        case .stringConvertible(let value): JSONText.quote(value.description, into: &out)
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                write(element, into: &out)
            }
            out += "]"
        case .dictionary(let values):
            out += "{"
            for (index, (key, element)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out += "," }
                JSONText.quote(key, into: &out)
                out += ":"
                write(element, into: &out)
            }
            out += "}"
        }
    }
}
