import Foundation
public import Logging
public import OnCallCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster for one machine: the default when `DATABASE_URL` is unset.
///
/// Layout under the root folder (`./.oncall` by default):
///
///     pg/          the cluster (initdb), owned by whoever runs postgres
///     run/         the unix socket folder (mode 0700; no TCP listener at all)
///     pg.log       the server log
///     pg.lock      held with flock(2) by the node that owns the running server
///
/// The node holding `pg.lock` started (or adopted) the server and stops it when it stops. A watchdog process,
/// blocked on the same lock, stops the server if that node dies without stopping it (kill -9), so no orphan
/// `postgres` is left. A second node started on the same folder while the owner lives shares the server and
/// leaves it running. PostgreSQL refuses to run as root: with uid 0 the binaries run as the `postgres` user
/// and the folders belong to it; when that user cannot pass through the parents of the root folder (a clone
/// under `/root`), the cluster lives in `/var/tmp/oncall-<hash of the folder>` instead.
public final class EmbeddedPostgres: Sendable {
    /// The database the server uses inside the cluster.
    public static let databaseName = "oncall"
    /// The cluster's superuser; trust authentication on the socket.
    public static let superuser = "oncall"

    public struct StartError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// What `start()` found and did, for the one line the server prints.
    public struct Started: Sendable {
        public let url: DatabaseURL
        public let clusterDirectory: String
        /// True when this process started or adopted the server and will stop it.
        public let owned: Bool
        /// Why the cluster is not where it was asked to be, when it is not.
        public let relocatedBecause: String?
    }

    private struct State: Sendable {
        var lockDescriptor: Int32 = -1
        var watchdogPID: Int32 = 0
        var owned = false
    }

    public let requestedRoot: String
    public let root: String
    public let relocatedBecause: String?
    private let binDirectory: String
    private let runAsUser: String?
    private let logger: Logger
    private let state = LockedBox(State())

    var clusterDirectory: String { root + "/pg" }
    var socketDirectory: String {
        let preferred = root + "/run"
        // A unix socket path is limited to 107 bytes; deep clones fall back to a short folder.
        if (preferred + "/.s.PGSQL.65535").utf8.count < 100 { return preferred }
        return "/tmp/oncall-\(Self.fnv1a(root))"
    }
    var lockPath: String { root + "/pg.lock" }
    let maxConnections: Int
    var logPath: String { root + "/pg.log" }

    /// Finds the PostgreSQL binaries and decides where the cluster lives; starts nothing yet.
    /// - Parameter maxConnections: the server's `max_connections` (one node needs far fewer than 300; the test
    ///   suite, many pools at once on one cluster, more).
    public init(rootDirectory: String, maxConnections: Int = 300, logger: Logger) throws {
        self.logger = logger
        self.maxConnections = maxConnections
        let absolute = Self.absolutePath(rootDirectory)
        self.requestedRoot = absolute
        guard let bin = Self.locateBinaries() else {
            throw StartError(message: "embedded PostgreSQL: initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin; install PostgreSQL or set DATABASE_URL")
        }
        self.binDirectory = bin
        if getuid() == 0 {
            self.runAsUser = "postgres"
            guard getpwnam("postgres") != nil else {
                throw StartError(message: "embedded PostgreSQL: running as root needs a 'postgres' user to run the server as (PostgreSQL refuses root); create it or set DATABASE_URL")
            }
            if let blocked = Self.firstUntraversableAncestor(of: absolute, forUser: "postgres") {
                self.root = "/var/tmp/oncall-\(Self.fnv1a(absolute))"
                self.relocatedBecause = "the postgres user cannot pass through \(blocked)"
            } else {
                self.root = absolute
                self.relocatedBecause = nil
            }
        } else {
            self.runAsUser = nil
            self.root = absolute
            self.relocatedBecause = nil
        }
    }

    /// Starts (or reuses) the cluster and makes sure the `oncall` database exists. Blocks while initdb and pg_ctl run.
    public func start() throws -> Started {
        try prepareFolders()
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StartError(message: "embedded PostgreSQL: cannot open \(lockPath): \(String(cString: strerror(errno)))") }

        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            // Someone holds the lock: a live node (share its server) or a watchdog stopping a dead node's server (wait).
            if let owner = Self.readPID(lockPath), owner != getpid(), kill(owner, 0) == 0, let running = runningServer() {
                close(descriptor)
                logger.info("embedded PostgreSQL is owned by oncall process \(owner); sharing it")
                return Started(url: url(port: running.port, socketDirectory: running.socketDirectory), clusterDirectory: clusterDirectory, owned: false, relocatedBecause: relocatedBecause)
            }
            let deadline = Date().addingTimeInterval(60)
            while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                guard Date() < deadline else {
                    close(descriptor)
                    throw StartError(message: "embedded PostgreSQL: \(lockPath) stayed locked for 60 s; is another oncall stopping its database?")
                }
                usleep(100_000)
            }
        }
        ftruncate(descriptor, 0)
        let pidText = "\(getpid())\n"
        _ = pidText.withCString { write(descriptor, $0, strlen($0)) }
        state.withLock { $0.lockDescriptor = descriptor; $0.owned = true }

        do {
            let running: (port: Int, socketDirectory: String)
            if let adopted = runningServer() {
                logger.info("embedded PostgreSQL: adopting the server left running by a previous oncall (pid file in \(clusterDirectory))")
                running = adopted
            } else {
                try removeStalePIDFile()
                if !FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") { try initialize() }
                let port = try stablePort()
                try runPostgresBinary([
                    "pg_ctl", "start", "-w", "-t", "60", "-D", clusterDirectory, "-l", logPath, "-o",
                    "-p \(port) -c listen_addresses='' -c unix_socket_directories='\(socketDirectory)' -c unix_socket_permissions=0700 -c max_connections=\(maxConnections)",
                ], detach: true)
                running = (port, socketDirectory)
            }
            try startWatchdog()
            let url = url(port: running.port, socketDirectory: running.socketDirectory)
            return Started(url: url, clusterDirectory: clusterDirectory, owned: true, relocatedBecause: relocatedBecause)
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the server if this process owns it, ends the watchdog, and releases the lock. Safe to call twice.
    public func stop() {
        let current = state.withLock { state -> State in
            let copy = state
            state = State()
            return copy
        }
        guard current.owned else { return }
        do {
            try runPostgresBinary(["pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", clusterDirectory], allowFailure: true)
        } catch {
            logger.error("embedded PostgreSQL did not stop: \(error)")
        }
        if current.watchdogPID > 0 {
            kill(current.watchdogPID, SIGTERM)
            Subprocess.waitFor(current.watchdogPID)
        }
        if current.lockDescriptor >= 0 {
            flock(current.lockDescriptor, LOCK_UN)
            close(current.lockDescriptor)
        }
    }

    // MARK: Steps

    private func prepareFolders() throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            for dir in [clusterDirectory, socketDirectory] where !fm.fileExists(atPath: dir) {
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            chmod(socketDirectory, 0o700)
            chmod(clusterDirectory, 0o700)
            if let user = runAsUser, let pw = getpwnam(user) {
                for path in [clusterDirectory, socketDirectory] { try Self.chownRecursively(path, uid: pw.pointee.pw_uid, gid: pw.pointee.pw_gid) }
                if !fm.fileExists(atPath: logPath) { _ = fm.createFile(atPath: logPath, contents: nil) }
                chown(logPath, pw.pointee.pw_uid, pw.pointee.pw_gid)
            }
        } catch {
            throw StartError(message: "embedded PostgreSQL: cannot prepare \(root): \(error.localizedDescription)")
        }
    }

    private func initialize() throws {
        logger.info("embedded PostgreSQL: creating a new cluster in \(clusterDirectory)")
        try runPostgresBinary([
            "initdb", "-D", clusterDirectory, "--username=\(Self.superuser)", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-instructions",
        ])
        // Only the socket, only trust, nothing over TCP.
        let hba = "# Written by oncall: the embedded cluster listens on a private unix socket only.\nlocal all all trust\n"
        try hba.write(toFile: clusterDirectory + "/pg_hba.conf", atomically: false, encoding: .utf8)
    }

    /// The watchdog waits for this process's lock; it gets it only when this process is gone, then stops the server.
    private func startWatchdog() throws {
        var stopCommand = [binDirectory + "/pg_ctl", "stop", "-w", "-m", "fast", "-D", clusterDirectory]
        if let user = runAsUser { stopCommand = ["/usr/sbin/runuser", "-u", user, "--"] + stopCommand }
        guard let flockPath = Subprocess.find("flock", extraDirectories: ["/usr/bin", "/bin"]) else {
            logger.warning("embedded PostgreSQL: flock(1) not found, so a killed oncall would leave postgres running")
            return
        }
        let watchdog = try Subprocess.spawnDetached([flockPath, lockPath] + stopCommand)
        state.withLock { $0.watchdogPID = watchdog }
    }

    /// The server recorded in `postmaster.pid`, if that process is alive and is a postgres for this cluster.
    private func runningServer() -> (port: Int, socketDirectory: String)? {
        guard let text = try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 5, let pid = Int32(lines[0]), let port = Int(lines[3]), Self.isPostgres(pid: pid) else { return nil }
        let socketDir = lines[4].isEmpty ? socketDirectory : lines[4]
        return (port, socketDir)
    }

    /// The port used last time when it is still free (clients that outlive a database restart find it again),
    /// else a new free one; kept in `pg.port`.
    private func stablePort() throws -> Int {
        let path = root + "/pg.port"
        if let text = try? String(contentsOfFile: path, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
           (1024...65535).contains(port), Self.isFree(port: port), !FileManager.default.fileExists(atPath: "\(socketDirectory)/.s.PGSQL.\(port)") {
            return port
        }
        let port = try Self.freePort()
        try? "\(port)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return port
    }

    private func removeStalePIDFile() throws {
        let path = clusterDirectory + "/postmaster.pid"
        if FileManager.default.fileExists(atPath: path) {
            logger.notice("embedded PostgreSQL: removing stale \(path) left by a crash")
            try FileManager.default.removeItem(atPath: path)
        }
    }

    private func url(port: Int, socketDirectory: String) -> DatabaseURL {
        DatabaseURL(endpoint: .unixSocket(directory: socketDirectory, port: port), username: Self.superuser, password: nil, database: Self.databaseName)
    }

    private func runPostgresBinary(_ arguments: [String], detach: Bool = false, allowFailure: Bool = false) throws {
        var command = [binDirectory + "/" + arguments[0]] + arguments.dropFirst()
        if let user = runAsUser { command = ["/usr/sbin/runuser", "-u", user, "--"] + command }
        // setsid: the server gets a session of its own, so a Ctrl-C meant for oncall does not stop it mid-drain.
        if detach { command = ["/usr/bin/setsid", "--wait"] + command }
        do {
            try Subprocess.run(command, allowFailure: allowFailure)
        } catch let failure as Subprocess.Failure {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            throw StartError(message: "embedded PostgreSQL: \(failure)" + (log.isEmpty ? "" : "\nlast lines of \(logPath):\n\(log)"))
        }
    }

    // MARK: Helpers

    static func locateBinaries() -> String? {
        if let initdb = Subprocess.find("initdb"), let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: initdb) {
            let dir = (resolved as NSString).deletingLastPathComponent
            let base = dir.hasPrefix("/") ? dir : ((initdb as NSString).deletingLastPathComponent + "/" + dir)
            if FileManager.default.isExecutableFile(atPath: base + "/pg_ctl") { return base }
        }
        if let initdb = Subprocess.find("initdb") {
            let dir = (initdb as NSString).deletingLastPathComponent
            if FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl") { return dir }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let dir = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: dir + "/initdb") && FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl") { return dir }
        }
        return nil
    }

    static func absolutePath(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (joined as NSString).standardizingPath
    }

    /// The first existing ancestor of `path` that `user` cannot search (x permission), or nil.
    static func firstUntraversableAncestor(of path: String, forUser user: String) -> String? {
        guard let pw = getpwnam(user) else { return "/" }
        let uid = pw.pointee.pw_uid
        let gid = pw.pointee.pw_gid
        var groups = [gid_t](repeating: 0, count: 64)
        var count: Int32 = 64
        _ = getgrouplist(user, gid, &groups, &count)
        let memberOf = Set(groups.prefix(Int(max(count, 0))))
        var current = ""
        let components = path.split(separator: "/").map(String.init)
        for component in [""] + components.dropLast() {
            current = component.isEmpty ? "/" : (current == "/" ? "/" + component : current + "/" + component)
            var info = stat()
            guard stat(current, &info) == 0 else { return nil }  // the rest will be created by us
            let mode = info.st_mode
            let ok: Bool
            if info.st_uid == uid { ok = mode & S_IXUSR != 0 } else if memberOf.contains(info.st_gid) { ok = mode & S_IXGRP != 0 } else { ok = mode & S_IXOTH != 0 }
            if !ok { return current }
        }
        return nil
    }

    static func chownRecursively(_ path: String, uid: uid_t, gid: gid_t) throws {
        chown(path, uid, gid)
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return }
        for case let child as String in enumerator { lchown(path + "/" + child, uid, gid) }
    }

    static func isPostgres(pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/comm") else { return true }
        return String(decoding: data, as: UTF8.self).hasPrefix("postgres")
    }

    static func readPID(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func isFree(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    /// A TCP port nobody listens on now (PostgreSQL uses it only to name its socket here).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(message: "embedded PostgreSQL: cannot open a socket to pick a port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw StartError(message: "embedded PostgreSQL: cannot bind a socket to pick a port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
