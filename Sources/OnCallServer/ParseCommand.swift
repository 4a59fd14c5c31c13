import ArgumentParser
import Foundation
import OnCallCore
import OnCallParsers

/// `oncall parse --type TYPE FILE`: what On-Call would make of a payload, without a database or a server.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print the normalised alert(s) a monitoring tool's payload becomes (no database needed).",
        discussion: "Checks a new monitoring set-up: save what the tool sends to a file and see the action, dedup key, title and severity."
    )

    @Option(help: "The integration type: \(Integration.Kind.allCases.filter { $0 != .bridge }.map(\.rawValue).joined(separator: ", ")).")
    var type: String

    @Option(name: .customLong("content-type"), help: "The Content-Type the tool sends (default application/json).")
    var contentType: String = "application/json"

    @Option(help: "Alertmanager/Grafana grouping: per_group or per_alert.")
    var grouping: String = "per_group"

    @Argument(help: "The payload file (- for standard input).")
    var file: String

    func run() throws {
        guard let kind = Integration.Kind(rawValue: type), let parser = AlertParsers.parser(for: kind) else {
            printError("oncall: unknown integration type '\(type)' (one of: \(Integration.Kind.allCases.filter { $0 != .bridge }.map(\.rawValue).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        guard let groupingOption = Integration.Grouping(rawValue: grouping) else {
            printError("oncall: --grouping is per_group or per_alert")
            throw ExitCode(2)
        }
        let body: Data
        do {
            body = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            printError("oncall: cannot read \(file): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let alerts: [NormalizedAlert]
        do {
            alerts = try parser.parse(InboundPayload(body: Array(body), contentType: contentType, options: ParseOptions(grouping: groupingOption)))
        } catch {
            printError("oncall: \(type) payload refused (the server would answer 400): \(error.message)")
            throw ExitCode(1)
        }
        announce(Self.json(alerts))
    }

    /// The alerts as the API and docs name their fields, pretty-printed with sorted keys.
    static func json(_ alerts: [NormalizedAlert]) -> String {
        let objects: [[String: Any]] = alerts.map { alert in
            var object: [String: Any] = [
                "action": alert.action.rawValue, "title": alert.title, "severity": alert.severity.rawValue, "source": alert.source,
                "dedup_key": alert.dedupKey ?? NSNull(), "description": alert.description ?? NSNull(), "device": alert.device ?? NSNull(),
                "links": alert.links.map { link -> [String: Any] in ["url": link.url, "text": link.text ?? NSNull()] },
            ]
            object["details"] = alert.details
            return object
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
