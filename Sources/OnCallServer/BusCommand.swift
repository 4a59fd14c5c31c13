import ArgumentParser
import Foundation
import Logging
import OnCallCore
import OnCallParsers
import OnCallStore
import PostgresNIO

/// `oncall bus publish FILE`: puts a CloudEvents message on the bus (tests, demos, replaying a message).
struct BusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus", abstract: "Work with the event bus (BUS_CONNECTION_STRING).", subcommands: [Publish.self]
    )

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a CloudEvents 1.0 JSON message (docs/bus.md) from a file (- for standard input)."
        )

        @Argument(help: "The message file.")
        var file: String

        func run() async throws {
            let configuration = try ProcessEnvironment.configuration()
            let logger = ProcessEnvironment.logger(configuration)
            let data: Data
            do {
                data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                printError("oncall: cannot read \(file): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            let event: BusEvent
            do {
                event = try BusEvent.decode(Array(data))
            } catch {
                printError("oncall: \(file) is not a CloudEvents message: \(error.message)")
                throw ExitCode(2)
            }
            guard configuration.busConnectionString != nil else {
                printError("oncall: BUS_CONNECTION_STRING is not set: there is no bus to publish on")
                throw ExitCode(2)
            }
            var quiet = logger
            quiet.logLevel = max(logger.logLevel, .error)
            guard let connection = try BusConnection.open(configuration, main: nil, mainClient: nil, logger: quiet) else { return }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await connection.client.run() }
                defer { group.cancelAll() }
                try await connection.bus.prepare()
                let fresh = try await connection.bus.publish(
                    id: event.id, type: event.type, source: event.source, subject: event.subject, tenantID: event.tenantID, json: String(decoding: data, as: UTF8.self)
                )
                announce(fresh ? "published \(event.id) (\(event.type))" : "already on the bus: \(event.id) (not published twice)")
            }
        }
    }
}
