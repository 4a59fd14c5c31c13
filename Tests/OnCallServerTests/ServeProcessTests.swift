import Foundation
import Testing
import OnCallTesting
import OnCallCore

#if canImport(Glibc)
import Glibc
#endif

/// The real `oncall` binary, started and stopped the way an operator (or a crash) does.
@Suite("oncall serve as a process")
struct ServeProcessTests {
    static func temporaryDataDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("oncall-serve-\(UUID().uuidString.prefix(8))").path
    }

    @Test func embeddedDatabaseServesBothProtocolsAndSIGTERMLeavesNoPostgres() async throws {
        let dataDir = Self.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try ServerProcess(["serve"], environment: ["ONCALL_DATA_DIR": dataDir, "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "0"])
        defer { server.terminate() }

        let port = try await server.listeningPort()
        let databaseLine = try await server.line(containing: "database:")
        #expect(databaseLine.contains("embedded PostgreSQL"))
        #expect(server.text.contains("migrations:"))
        #expect(!processes(commandLineContaining: dataDir).isEmpty, "the embedded postgres runs while the server does")

        #expect(try await TestHTTP.http1(port: port, "GET", "/healthz").status == 200)
        let h2 = try await TestHTTP.h2c(port: port, "GET", "/healthz")
        #expect(h2.status == 200 && h2.httpVersion == "HTTP/2")
        #expect(try await TestHTTP.h2c(port: port, "GET", "/readyz").status == 200)

        server.signal(SIGTERM)
        let status = try await server.waitForExit()
        #expect(status == 0, "clean exit on SIGTERM:\n\(server.text)")
        let left = processes(commandLineContaining: dataDir)
        #expect(left.isEmpty, "left running: \(left.map(\.commandLine))")
    }

    /// kill -9 skips every clean-up in the process; the flock watchdog still stops postgres, and the next start
    /// reuses the same cluster.
    @Test func killedServerLeavesNoOrphanAndRestartReusesTheCluster() async throws {
        let dataDir = Self.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let environment = ["ONCALL_DATA_DIR": dataDir, "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "0"]

        let first = try ServerProcess(["serve"], environment: environment)
        defer { first.terminate() }
        _ = try await first.listeningPort()
        #expect(first.text.contains("\(try OnCallStoreMigrationCount.bundled()) applied"))
        first.signal(SIGKILL)
        try await first.waitForExit()

        var left = processes(commandLineContaining: dataDir)
        for _ in 0..<100 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = processes(commandLineContaining: dataDir)
        }
        #expect(left.isEmpty, "orphans after kill -9: \(left.map(\.commandLine))")

        let second = try ServerProcess(["serve"], environment: environment)
        defer { second.terminate() }
        let port = try await second.listeningPort()
        #expect(second.text.contains("0 applied, \(try OnCallStoreMigrationCount.bundled()) already in place"), "the cluster and its schema survived:\n\(second.text)")
        #expect(!second.text.contains("creating a new cluster"))
        #expect(try await TestHTTP.http1(port: port, "GET", "/readyz").status == 200)
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        #expect(processes(commandLineContaining: dataDir).isEmpty)
    }

    @Test func externalDatabaseURLIsUsedAndNamed() async throws {
        let url = try await TestDatabase.fresh()
        let server = try ServerProcess(["serve"], environment: ["DATABASE_URL": url.connectionString, "ONCALL_HTTP_HOST": "127.0.0.1", "ONCALL_HTTP_PORT": "0"])
        defer { server.terminate() }
        let port = try await server.listeningPort()
        let line = try await server.line(containing: "database:")
        #expect(line.contains("(DATABASE_URL)") && line.contains(url.database))
        #expect(try await TestHTTP.h2c(port: port, "GET", "/readyz").status == 200)
        server.signal(SIGINT)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func anInvalidWorkflowStopsTheStartWithFileAndLine() async throws {
        let dir = Self.temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "workflow: broken\ninitial: open\nstates:\n  open:\n    on:\n      resolve: { goto: nowhere }\n".write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess(["serve"], environment: ["ONCALL_WORKFLOWS_DIR": dir, "ONCALL_DATA_DIR": dir + "/data"])
        defer { server.terminate() }
        #expect(try await server.waitForExit() == 2)
        #expect(server.text.contains("\(dir)/broken.yaml:6: goto unknown state 'nowhere'"), "\(server.text)")
        #expect(server.text.contains("\(dir)/broken.yaml:1: no final state"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/data"), "nothing was started")
    }

    @Test func badConfigurationStopsTheStartAndNamesTheVariable() async throws {
        let server = try ServerProcess(["serve"], environment: ["ONCALL_HTTP_PORT": "eighty", "PSA_SERVICE_KEY": "psa-secret-value-123"])
        defer { server.terminate() }
        let status = try await server.waitForExit()
        #expect(status == 2)
        #expect(server.text.contains("ONCALL_HTTP_PORT"))
        #expect(!server.text.contains("psa-secret-value-123"))
    }
}

@Suite("oncall migrate")
struct MigrateProcessTests {
    /// Two nodes migrating one empty database at the same moment: both succeed, each migration is applied once.
    @Test func twoProcessesRacingApplyEachMigrationOnce() async throws {
        let url = try await TestDatabase.fresh()
        let environment = ["DATABASE_URL": url.connectionString]
        let a = try ServerProcess(["migrate"], environment: environment)
        let b = try ServerProcess(["migrate"], environment: environment)
        defer { a.terminate(); b.terminate() }
        #expect(try await a.waitForExit() == 0, "\(a.text)")
        #expect(try await b.waitForExit() == 0, "\(b.text)")

        let applied = [a.text, b.text].map { text in
            text.split(separator: "\n").first { $0.hasPrefix("migrations:") }.map(String.init) ?? ""
        }
        let expected = try OnCallStoreMigrationCount.bundled()
        #expect(applied.filter { $0.hasPrefix("migrations: \(expected) applied") }.count == 1, "\(applied)")
        #expect(applied.filter { $0.hasPrefix("migrations: 0 applied, \(expected) already in place") }.count == 1, "\(applied)")
        #expect(try await MigrationRows.count(url) == expected)
    }
}
