import ArgumentParser
import Foundation
import Logging

/// `oncall-bench`: measures the engine at scale; ops/bench/ runs it and docs/performance.md records the figures.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oncall-bench",
        abstract: "Benchmarks for The One On-Call (each prints one summary line and writes JSON).",
        subcommands: [TimerLatenessBench.self, StartupBench.self, ActorMemoryBench.self]
    )
}

/// Options every benchmark shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "PostgreSQL to use; default: a fresh embedded cluster in a temporary folder.")
    var databaseURL: String?

    @Option(help: "Where to write the JSON result.")
    var json: String?

    @Option(help: "The oncall executable (default: next to this one).")
    var oncall: String?

    var logger: Logger {
        var logger = Logger(label: "oncall.bench")
        logger.logLevel = .warning
        return logger
    }

    func oncallPath() -> String {
        if let oncall { return oncall }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("oncall").path
    }

    func write(_ result: [String: Any]) throws {
        guard let json else { return }
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: json))
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[index]
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
