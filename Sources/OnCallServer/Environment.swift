import ArgumentParser
import Foundation
import Logging
import OnCallCore

/// Reading the environment once, and the process-wide logger.
enum ProcessEnvironment {
    /// The typed configuration, or a clean exit naming the bad variable.
    static func configuration() throws -> OnCallConfiguration {
        do {
            return try OnCallConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("oncall: configuration error: \(error)")
            throw ExitCode(2)
        }
    }

    static func logger(_ configuration: OnCallConfiguration) -> Logger {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            if configuration.logFormat == "text" {
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            return JSONLogHandler(label: label, level: level)
        }
        return Logger(label: "oncall")
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Prints a line to stdout at once (scripts and tests read these lines while the server runs).
func announce(_ message: String) {
    FileHandle.standardOutput.write(Data((message + "\n").utf8))
}
