import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs short helper programs (initdb, pg_ctl, runuser) with posix_spawn and waitpid.
///
/// Foundation's `Process.waitUntilExit` was seen to hang here when the child had already exited, so the
/// launcher spawns and reaps its children itself.
package enum Subprocess {
    package struct Failure: Error, CustomStringConvertible {
        package let command: String
        package let status: Int32
        package let output: String
        package var description: String {
            "\(command) exited with status \(status)" + (output.isEmpty ? "" : ": \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Runs `arguments[0]` with the rest as its arguments, waits, and returns its combined output.
    /// Throws ``Failure`` on a non-zero exit unless `allowFailure`.
    @discardableResult
    package static func run(_ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(command: arguments[0], status: -1, output: "pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let pid: pid_t
        do {
            pid = try spawn(arguments, stdoutTo: fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n > 0 { output.append(contentsOf: chunk[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        let status = waitFor(pid)
        let text = String(decoding: output, as: UTF8.self)
        if status != 0 && !allowFailure {
            throw Failure(command: arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "), status: status, output: text)
        }
        return (status, text)
    }

    /// Starts a program in a session of its own, output discarded; returns its pid (reap it with ``waitFor(_:)``).
    package static func spawnDetached(_ arguments: [String]) throws -> Int32 {
        let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devnull) }
        return try spawn(["/usr/bin/setsid"] + arguments, stdoutTo: devnull)
    }

    /// Waits for `pid` and returns its exit status (128 + signal when killed).
    @discardableResult
    package static func waitFor(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Starts `arguments` with `environment` (nil: this process's), its stdout and stderr on `fd`; returns the pid.
    package static func spawn(_ arguments: [String], environment: [String: String]? = nil, stdoutTo fd: Int32) throws -> Int32 {
        markDescriptorsCloseOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling, whatever this process (or ServiceLifecycle) set.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for entry in envp ?? [] { free(entry) } }
        var pid: pid_t = 0
        let result = envp.map { posix_spawn(&pid, arguments[0], &actions, &attributes, argv, $0) } ?? posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw Failure(command: arguments[0], status: -1, output: "cannot start: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Nothing of this process (sockets, pipes, the database lock) may reach a child: postgres would keep a pipe
    /// open for its whole life and a reader would wait forever. glibc's closefrom action is not visible to Swift,
    /// so every descriptor from 3 up is marked close-on-exec instead (the dup2'ed 0–2 are unaffected).
    private static func markDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// The first executable named `name` on PATH or in the given folders.
    package static func find(_ name: String, extraDirectories: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + extraDirectories {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
