import Foundation
import OnCallStore

#if canImport(Glibc)
import Glibc
#endif

/// An `oncall` process started by a test: real binary, real signals, output captured line by line.
public final class ServerProcess: Sendable {
    public let pid: Int32
    private let output = LockedBox<[UInt8]>([])
    private let exitStatus = LockedBox<Int32?>(nil)
    /// Set when the reader has seen the end of the output (the process and its children closed the pipe).
    private let drained = LockedBox(false)

    /// Starts `oncall ARGUMENTS` with only `environment` (plus PATH and HOME) in its environment.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
                   "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/tmp"]
        env.merge(environment) { $1 }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestSupportError("pipe failed") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        pid = try Subprocess.spawn([try PackagePaths.oncallExecutable()] + arguments, environment: env, stdoutTo: fds[1])
        close(fds[1])
        let readEnd = fds[0]
        let thread = Thread { [output, drained] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(readEnd, &chunk, chunk.count)
                if n > 0 { output.withLock { $0.append(contentsOf: chunk[0..<n]) }; continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
            close(readEnd)
            drained.withLock { $0 = true }
        }
        thread.start()
    }

    /// Everything the process printed so far (stdout and stderr).
    public var text: String { output.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Waits until a printed line contains `marker`, and returns that line.
    public func line(containing marker: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            if let status = poll() { throw TestSupportError("oncall exited with \(status) before printing '\(marker)':\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("oncall did not print '\(marker)' within \(timeout):\n\(text)")
    }

    /// The port from the `oncall listening on …:PORT` line.
    public func listeningPort(timeout: Duration = .seconds(120)) async throws -> Int {
        let line = try await line(containing: "oncall listening on", timeout: timeout)
        guard let address = line.split(separator: " ").first(where: { $0.contains("://") }),
              let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw TestSupportError("no port in '\(line)'")
        }
        return port
    }

    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to exit and returns its status (128 + signal when killed).
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = poll() {
                // What it printed just before exiting may still be in the pipe: read it all before answering.
                let drainDeadline = ContinuousClock.now + .seconds(2)
                while !drained.withLock({ $0 }) && ContinuousClock.now < drainDeadline { try await Task.sleep(for: .milliseconds(10)) }
                return status
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        throw TestSupportError("oncall (pid \(pid)) did not exit within \(timeout):\n\(text)")
    }

    /// Kills the process if it still runs; for `defer` in tests.
    public func terminate() {
        if poll() == nil {
            kill(pid, SIGKILL)
            _ = Subprocess.waitFor(pid)
        }
    }

    private func poll() -> Int32? {
        exitStatus.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let signal = raw & 0x7f
            status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return status
        }
    }
}

/// Processes whose command line mentions `fragment` (for "no postgres left behind" checks).
public func processes(commandLineContaining fragment: String) -> [(pid: Int32, commandLine: String)] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> (Int32, String)? in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return commandLine.contains(fragment) ? (pid, commandLine) : nil
    }
}
