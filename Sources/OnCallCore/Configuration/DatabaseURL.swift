/// A parsed `postgres://` or `postgresql://` connection string.
///
/// Accepted forms follow libpq's URI syntax for the parts On-Call uses:
/// `postgres://user:password@host:5432/db?sslmode=disable` and, for a unix socket,
/// `postgres://user@/db?host=/socket/dir` (or `postgres:///db?host=/socket/dir&port=5433`).
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// A unix socket directory; the socket file is `<directory>/.s.PGSQL.<port>`.
        case unixSocket(directory: String, port: Int)

        /// The socket file for `.unixSocket`, nil for TCP.
        public var socketPath: String? {
            if case .unixSocket(let directory, let port) = self { return "\(directory)/.s.PGSQL.\(port)" }
            return nil
        }
    }

    /// How TLS is used on a TCP connection (libpq's `sslmode`, reduced to what PostgresNIO offers).
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: Secret?
    public var database: String
    public var tls: TLSMode

    public init(endpoint: Endpoint, username: String, password: Secret?, database: String, tls: TLSMode = .disable) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses a connection string; `variable` names the setting in errors.
    public init(parsing text: String, variable: String = "DATABASE_URL") throws(ConfigurationError) {
        func fail(_ reason: String) -> ConfigurationError { ConfigurationError(variable: variable, reason: reason) }
        let schemes = ["postgres://", "postgresql://"]
        guard let scheme = schemes.first(where: { text.hasPrefix($0) }) else {
            throw fail("must start with postgres:// or postgresql://")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        var queryItems: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let key = parts[0].removingPercentEncoding, let value = parts[1].removingPercentEncoding else {
                    throw fail("query parameter '\(pair.split(separator: "=").first ?? "")' has no value")
                }
                queryItems[key] = value
            }
            rest = rest[..<q]
        }
        var authority = rest
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        var userInfo: Substring = ""
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        }
        var username = "postgres"
        var password: Secret? = nil
        if !userInfo.isEmpty {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = parts[0].removingPercentEncoding else { throw fail("the user name is not valid percent-encoding") }
            if !user.isEmpty { username = user }
            if parts.count == 2 {
                guard let pass = parts[1].removingPercentEncoding else { throw fail("the password is not valid percent-encoding") }
                password = Secret(pass)
            }
        }
        if let user = queryItems["user"] { username = user }
        if let pass = queryItems["password"] { password = Secret(pass) }

        var host: String? = nil
        var port = 5432
        if !hostPort.isEmpty {
            if hostPort.hasPrefix("[") {
                guard let close = hostPort.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
                host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
                let after = hostPort[hostPort.index(after: close)...]
                if after.hasPrefix(":") { port = try Self.parsePort(after.dropFirst(), fail) }
            } else if let colon = hostPort.lastIndex(of: ":") {
                host = String(hostPort[..<colon])
                port = try Self.parsePort(hostPort[hostPort.index(after: colon)...], fail)
            } else {
                host = String(hostPort)
            }
            host = host?.removingPercentEncoding
        }
        if let p = queryItems["port"] { port = try Self.parsePort(Substring(p), fail) }
        if let h = queryItems["host"] { host = h }

        guard let database = path.removingPercentEncoding else { throw fail("the database name is not valid percent-encoding") }
        let databaseName = queryItems["dbname"] ?? (database.isEmpty ? username : database)

        var tls = TLSMode.prefer
        if let mode = queryItems["sslmode"] {
            switch mode {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw fail("sslmode '\(mode)' is not one of disable, allow, prefer, require, verify-ca, verify-full")
            }
        }

        let endpoint: Endpoint
        switch host {
        case let h? where h.hasPrefix("/"):
            endpoint = .unixSocket(directory: h, port: port)
            tls = .disable
        case let h? where !h.isEmpty:
            endpoint = .tcp(host: h, port: port)
        default:
            throw fail("no host: give host:port, or a socket folder with ?host=/path")
        }
        self.init(endpoint: endpoint, username: username, password: password, database: databaseName, tls: tls)
    }

    private static func parsePort(_ text: Substring, _ fail: (String) -> ConfigurationError) throws(ConfigurationError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw fail("port '\(text)' is not a number from 1 to 65535") }
        return port
    }

    /// The same URL with another database name (tests create one database per suite).
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A connection string equivalent to this one, password included: for child processes, never for logs.
    public var connectionString: String {
        let user = Self.encode(username)
        let pass = password.map { ":" + Self.encode($0.value) } ?? ""
        switch endpoint {
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "postgres://\(user)\(pass)@\(h):\(port)/\(Self.encode(database))?sslmode=\(tls.rawValue)"
        case .unixSocket(let directory, let port):
            return "postgres://\(user)\(pass)@/\(Self.encode(database))?host=\(Self.encode(directory))&port=\(port)"
        }
    }

    /// Where the database is, without the password: safe to print.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): "postgres://\(username)@\(host):\(port)/\(database)"
        case .unixSocket(let directory, let port): "postgres://\(username)@/\(database)?host=\(directory)&port=\(port)"
        }
    }

    private static func encode(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, let c = Optional(Character(scalar)), c.isLetter || c.isNumber || "-._~/".contains(c) {
                out.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 { out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) }
            }
        }
        return out
    }
}

extension StringProtocol {
    /// Decodes `%XX` escapes; nil when an escape is malformed or the bytes are not UTF-8.
    var removingPercentEncoding: String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let hi = iterator.next(), let lo = iterator.next(),
                      let value = UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
