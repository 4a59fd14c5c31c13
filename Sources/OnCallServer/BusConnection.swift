import ArgumentParser
import Logging
import OnCallCore
import OnCallStore
import PostgresNIO

/// `BUS_CONNECTION_STRING` as a transport: PostgreSQL (the only one built), sharing the main client when it
/// names the main database.
struct BusConnection {
    let bus: any MessageBus
    let client: PostgresClient
    /// True when the bus has its own client, which the process must run.
    let ownClient: Bool

    static func open(_ configuration: OnCallConfiguration, main: DatabaseURL?, mainClient: PostgresClient?, logger: Logger) throws -> BusConnection? {
        guard let secret = configuration.busConnectionString else { return nil }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(parsing: secret.value, variable: "BUS_CONNECTION_STRING")
        } catch {
            printError("oncall: configuration error: \(error)")
            throw ExitCode(2)
        }
        if let main, let mainClient, url.connectionString == main.connectionString {
            return BusConnection(bus: PostgresBus(client: mainClient, logger: logger, sharesMainDatabase: true), client: mainClient, ownClient: false)
        }
        let client = Database.makeClient(url, logger: logger, maximumConnections: 4)
        return BusConnection(bus: PostgresBus(client: client, logger: logger), client: client, ownClient: true)
    }
}
