import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OnCallCore
import OnCallStore

#if canImport(Glibc)
import Glibc
#endif

/// `oncall serve` started by a benchmark on a random port, its output in a temporary file.
final class ServerUnderTest: Sendable {
    let pid: Int32
    let logPath: String

    init(oncall: String, databaseURL: DatabaseURL) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("oncall-bench-\(UUID().uuidString.prefix(8)).log").path
        let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL.connectionString
        environment["ONCALL_HTTP_HOST"] = "127.0.0.1"
        environment["ONCALL_HTTP_PORT"] = "0"
        environment["ONCALL_LOG_LEVEL"] = environment["ONCALL_LOG_LEVEL"] ?? "warning"
        pid = try Subprocess.spawn([oncall, "serve"], environment: environment, stdoutTo: fd)
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    @discardableResult
    func waitUntilListening(timeout: Duration = .seconds(120)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.contains("oncall listening on") }),
               let address = line.split(separator: " ").first(where: { $0.contains("://") }),
               let port = address.split(separator: ":").last.flatMap({ Int($0) }) {
                return port
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { throw BenchError("oncall exited early:\n\(output)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("oncall did not start within \(timeout):\n\(output)")
    }

    func waitUntilReady(port: Int, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status.code == 200 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("oncall was not ready within \(timeout)")
    }

    func stop() {
        if kill(pid, 0) == 0 {
            kill(pid, SIGTERM)
            Subprocess.waitFor(pid)
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
