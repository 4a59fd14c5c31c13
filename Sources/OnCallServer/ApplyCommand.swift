import ArgumentParser
import Foundation
import Logging
import OnCallCore
import OnCallEngine
import OnCallStore
import PostgresNIO

/// `oncall apply FILE`: make the database match a configuration file for the tenants it names.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the database match a configuration file (docs/config.md) for the tenants it names.",
        discussion: "Idempotent: a second run changes nothing and says so. Generated integration keys are printed once."
    )

    @Argument(help: "The YAML file (format version 1).")
    var file: String

    @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.")
    var dryRun = false

    func run() async throws {
        let configuration = try ProcessEnvironment.configuration()
        let logger = ProcessEnvironment.logger(configuration)
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            printError("oncall: cannot read \(file): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        let workflows = try? WorkflowRegistry.load(directory: WorkflowRegistry.defaultDirectory(configured: configuration.workflowsDirectory))
        let document: ConfigurationDocument
        do {
            document = try ConfigurationCodec.loadDocument(text, workflows: workflows.map { Set($0.workflows.keys) })
        } catch {
            for problem in error.problems { printError(problem.described(in: file)) }
            printError("oncall: \(file) was not applied: \(error.problems.count) problem(s)")
            throw ExitCode(2)
        }

        let database = try await DatabaseSession.open(configuration, logger: logger)
        defer { database.close() }
        try await MigrateCommand.apply(database, runner: try MigrationRunner.bundled(), logger: logger)
        // A one-shot command: the pool's notices (a first lease racing its run()) are noise here.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        let client = Database.makeClient(database.url, logger: poolLogger, maximumConnections: 2)
        let store = DomainStore(client: client, logger: logger)
        let base = configuration.externalURL
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            var total = 0
            for tenant in document.tenants {
                let report: DomainStore.UpdateReport
                do {
                    report = try await store.update(tenantID: tenant.id, dryRun: dryRun) { current in current?.keepingProvisioned(tenant) ?? tenant }
                } catch let conflict as DomainStore.Conflict {
                    printError("oncall: tenant \(tenant.id) was not applied: \(conflict.message)")
                    throw ExitCode(1)
                }
                total += report.changes.count
                if report.changes.isEmpty {
                    announce("tenant \(tenant.id): no changes")
                    continue
                }
                announce("tenant \(tenant.id): \(report.changes.count) change\(report.changes.count == 1 ? "" : "s")\(dryRun ? " planned (dry run: nothing written)" : "")")
                for change in report.changes { announce("  \(change)") }
                for issued in report.issuedKeys {
                    let bridge = tenant.integrations.first { $0.id == issued.integrationID }?.type == .bridge
                    let door = bridge ? "for the Bridge and Search APIs" : "webhook \(base)/api/webhooks/\(issued.webhookID)"
                    announce("  integration \(issued.integrationID): \(door) key \(issued.key) (shown once)")
                }
            }
            announce(total == 0 ? "nothing to change" : dryRun ? "dry run: \(total) change(s) planned, none written" : "applied \(total) change(s)")
        }
    }
}
