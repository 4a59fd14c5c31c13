import ArgumentParser

/// `oncall`: the On-Call server of The One Stack and its operator commands.
@main
struct OnCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oncall",
        abstract: "The One On-Call: alerts in, incidents, escalation, paging, PSA tickets, Hub events.",
        subcommands: [ServeCommand.self, MigrateCommand.self, ApplyCommand.self, ParseCommand.self, BusCommand.self, DoctorCommand.self, OpsCommand.self, DevCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
