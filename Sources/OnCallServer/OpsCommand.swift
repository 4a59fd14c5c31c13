import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `oncall ops …`: the ops API (docs/ops.md) from a terminal — tables for people, `--json` for scripts.
/// Talks to a running server (`--url`, `ONCALL_URL`) with `OPS_API_KEY` for one tenant (`--tenant`, `ONCALL_TENANT`).
struct OpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "See and unstick workflows on a running server (stuck, outbox, retry, incident, rearm, force, integrations).",
        subcommands: [Stuck.self, Outbox.self, Retry.self, Incident.self, Rearm.self, Force.self, Integrations.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The server (default: $ONCALL_URL, else http://127.0.0.1:8080).")
        var url: String?
        @Option(help: "The tenant to act on (default: $ONCALL_TENANT).")
        var tenant: String?
        @Flag(help: "Print the API's JSON instead of a table.")
        var json = false

        func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> [String: Any] {
            let environment = ProcessInfo.processInfo.environment
            guard let key = environment["OPS_API_KEY"], !key.isEmpty else { throw ValidationError("set OPS_API_KEY to the server's operator key") }
            guard let tenant = tenant ?? environment["ONCALL_TENANT"], !tenant.isEmpty else { throw ValidationError("name the tenant: --tenant or ONCALL_TENANT") }
            let base = (url ?? environment["ONCALL_URL"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
            request.headers.add(name: "X-Tenant-Id", value: tenant)
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response: HTTPClientResponse
            do {
                response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            } catch {
                throw OpsFailure("cannot reach \(base): \(error)")
            }
            let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let data = Data(bytes.readableBytesView)
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            guard (200..<300).contains(Int(response.status.code)) else {
                let message = (object["error"] as? [String: Any])?["message"] as? String ?? String(decoding: data, as: UTF8.self)
                throw OpsFailure("\(method) \(path): \(response.status.code) \(message)")
            }
            if json { print(String(decoding: data, as: UTF8.self)) }
            return object
        }
    }

    struct Stuck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Incidents that do not move, with the reason and for how long (exit 3 when there are any).")
        @OptionGroup var connection: Connection
        @Option(help: "At most this many.") var limit = 200

        func run() async throws {
            let items = try await connection.call(.GET, "/api/ops/workflows?limit=\(limit)")["stuck"] as? [[String: Any]] ?? []
            if !connection.json {
                print(items.isEmpty ? "nothing stuck" : Table.render(["#", "REASON", "STUCK FOR", "STATE", "INCIDENT", "DETAIL"], items.map { item in
                    ["#\(item.int("number"))", item.string("reason"), Table.age(item.int("age_seconds")), item.string("state"),
                     item.string("incident_id"), item.string("detail")]
                }))
            }
            if !items.isEmpty { throw ExitCode(3) }
        }
    }

    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Side effects waiting or dead (dead letters can be retried).")
        @OptionGroup var connection: Connection
        @Option(help: "pending or dead (both when absent).") var status: String?
        @Option(help: "One kind, such as psa.create_ticket or page.sms.") var kind: String?

        func run() async throws {
            var query = [String]()
            if let status { query.append("status=\(status)") }
            if let kind { query.append("kind=\(kind.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? kind)") }
            let rows = try await connection.call(.GET, "/api/ops/outbox" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))["outbox"] as? [[String: Any]] ?? []
            guard !connection.json else { return }
            print(rows.isEmpty ? "outbox empty" : Table.render(["ID", "KIND", "STATUS", "ATTEMPTS", "NEXT", "INCIDENT", "LAST ERROR"], rows.map { row in
                [String(row.int("id")), row.string("kind"), row.string("status"), String(row.int("attempts")), row.string("next_attempt_at"),
                 row.string("incident_id"), row.string("last_error")]
            }))
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send dead letters again: one by id, every one of a kind, or all.")
        @OptionGroup var connection: Connection
        @Argument(help: "The outbox row's id (see `oncall ops outbox --status dead`).") var id: Int64?
        @Option(help: "Every dead letter of this kind.") var kind: String?
        @Flag(help: "Every dead letter of the tenant.") var all = false

        func validate() throws {
            guard (id != nil ? 1 : 0) + (kind != nil ? 1 : 0) + (all ? 1 : 0) == 1 else { throw ValidationError("give one of: an id, --kind KIND, --all") }
        }

        func run() async throws {
            let path: String
            if let id { path = "/api/ops/outbox/\(id)/retry" } else if let kind {
                path = "/api/ops/outbox/retry?kind=\(kind.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? kind)"
            } else { path = "/api/ops/outbox/retry" }
            let result = try await connection.call(.POST, path)
            if !connection.json { print("retried \(result.int("retried"))") }
        }
    }

    struct Incident: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One incident with its timeline (by id, or by number as 42 or #42).")
        @OptionGroup var connection: Connection
        @Argument var incident: String

        func run() async throws {
            let id = try await Incident.resolve(incident, connection)
            let object = try await connection.call(.GET, "/api/incidents/\(id)")
            guard !connection.json else { return }
            print("#\(object.int("number")) \(object.string("title"))")
            print("  \(object.string("state")) · \(object.string("severity")) · service \(object.string("service_id")) · layer \(object.int("layer"))"
                + (object["assigned_to"] as? String).map { " · assigned to \($0)" }.orEmpty
                + ((object["escalation_exhausted"] as? Bool) == true ? " · escalation exhausted" : ""))
            print("  id \(id) · opened \(object.string("created_at"))" + (object["psa_ticket_id"] as? String).map { " · PSA ticket \($0)" }.orEmpty)
            let timeline = object["timeline"] as? [[String: Any]] ?? []
            print(Table.render(["AT", "WHAT", "WHO", "DETAIL"], timeline.map { entry in
                let detail = (entry["detail"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                return [entry.string("at"), entry.string("kind"), entry.string("actor"), detail]
            }))
        }

        /// A UUID as it is; a number through the list's `#n` search.
        static func resolve(_ text: String, _ connection: Connection) async throws -> String {
            if UUID(uuidString: text) != nil { return text.lowercased() }
            let number = text.hasPrefix("#") ? String(text.dropFirst()) : text
            guard Int(number) != nil else { throw ValidationError("'\(text)' is neither an incident id nor a number") }
            var quiet = connection
            quiet.json = false
            let found = try await quiet.call(.GET, "/api/incidents?text=%23\(number)&limit=1")["incidents"] as? [[String: Any]] ?? []
            guard let match = found.first(where: { String($0.int("number")) == number }) else { throw OpsFailure("no incident #\(number)") }
            return match.string("id")
        }
    }

    struct Rearm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an incident's timers again from its state (drops a dead node's leases; overdue ones fire now).")
        @OptionGroup var connection: Connection
        @Argument var incident: String

        func run() async throws {
            let id = try await Incident.resolve(incident, connection)
            let result = try await connection.call(.POST, "/api/ops/incidents/\(id)/rearm")
            if !connection.json { print("re-armed \(result.int("rearmed")) timer(s)") }
        }
    }

    struct Force: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move an incident to a state of its workflow, recorded with who and why.")
        @OptionGroup var connection: Connection
        @Argument var incident: String
        @Argument(help: "The target state (escalating, acknowledged, resolved, …).") var state: String
        @Option(help: "Why (goes to the timeline).") var reason: String

        func run() async throws {
            let id = try await Incident.resolve(incident, connection)
            let body = try JSONSerialization.data(withJSONObject: ["state": state, "reason": reason])
            let result = try await connection.call(.POST, "/api/ops/incidents/\(id)/force", body: String(decoding: body, as: UTF8.self))
            if !connection.json { print("#\(result.int("number")) is now \(result.string("state"))") }
        }
    }

    struct Integrations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each integration: configured, last success, last error, what breaks.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let items = try await connection.call(.GET, "/api/ops/integrations")["integrations"] as? [[String: Any]] ?? []
            guard !connection.json else { return }
            print(Table.render(["NAME", "CONFIGURED", "LAST SUCCESS", "LAST ERROR", "ERROR"], items.map { item in
                [item.string("name"), (item["configured"] as? Bool) == true ? "yes" : "no", item.string("last_success_at"), item.string("last_error_at"), item.string("last_error")]
            }))
        }
    }
}

struct OpsFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Plain aligned columns; long cells are cut so a row stays on one line.
enum Table {
    static func render(_ header: [String], _ rows: [[String]], maximumCell: Int = 60) -> String {
        let cells = ([header] + rows).map { row in row.map { $0.count > maximumCell ? String($0.prefix(maximumCell - 1)) + "…" : $0 } }
        let widths = header.indices.map { column in cells.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return cells.map { row in
            row.enumerated().map { column, cell in column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func age(_ seconds: Int) -> String {
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        if seconds < 172_800 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) -> String {
        switch self[key] {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: ""
        }
    }

    func int(_ key: String) -> Int { (self[key] as? NSNumber)?.intValue ?? Int(string(key)) ?? 0 }
}

extension Optional where Wrapped == String {
    var orEmpty: String { self ?? "" }
}
