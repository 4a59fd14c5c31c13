import ArgumentParser
import Foundation
import OnCallCore

/// `oncall doctor`: what is configured, and what does not work for what is not.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Report which integrations are configured and what breaks without them (exit 1 if any is not)."
    )

    func run() async throws {
        let configuration = try ProcessEnvironment.configuration()
        let report = IntegrationReport.make(configuration)
        let width = report.map(\.name.count).max() ?? 10
        for item in report {
            let name = item.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
            if item.configured {
                announce("\(name)configured     \(item.detail ?? "")")
            } else {
                announce("\(name)NOT configured \(item.impact) Set \(item.variables.joined(separator: item.name == "hub_sso" ? " or " : " and ")).")
            }
        }
        let missing = report.filter { !$0.configured }.count
        announce(missing == 0 ? "all integrations configured" : "\(missing) of \(report.count) not configured")
        if missing > 0 { throw ExitCode(1) }
    }
}
