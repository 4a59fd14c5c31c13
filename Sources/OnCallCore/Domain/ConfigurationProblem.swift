/// One thing wrong with a configuration: where (a field path such as `tenants[0].schedules[1].layers[0].handoff`,
/// and the YAML line when known) and what, in plain words.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted field path with list indexes; empty for the document as a whole.
    public var path: String
    /// 1-based line in the YAML or JSON text, when the problem comes from (or was traced back to) a text.
    public var line: Int?
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `path (line N): message`, `path: message`, or `line N: message` for the whole document.
    public var description: String {
        switch (path.isEmpty, line) {
        case (true, let line?): "line \(line): \(message)"
        case (true, nil): message
        case (false, let line?): "\(path) (line \(line)): \(message)"
        case (false, nil): "\(path): \(message)"
        }
    }

    /// `file:line: path: message`, the form a command-line tool prints.
    public func described(in file: String) -> String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }

    /// This problem with its path made relative to `prefix` (`schedules[2]` turns `schedules[2].layers[0].members`
    /// into `layers[0].members`); nil when the problem is not under `prefix`.
    public func relative(to prefix: String) -> ConfigurationProblem? {
        if prefix.isEmpty { return self }
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        if rest.isEmpty { return ConfigurationProblem(path: "", line: line, message: message) }
        if rest.hasPrefix(".") { return ConfigurationProblem(path: String(rest.dropFirst()), line: line, message: message) }
        if rest.hasPrefix("[") { return ConfigurationProblem(path: String(rest), line: line, message: message) }
        return nil
    }
}

extension Array where Element == ConfigurationProblem {
    /// The problems under `prefix`, with paths relative to it: how the admin API reports problems of the one object it
    /// changed after validating the whole tenant (`problems.scoped(to: "schedules[2]")`).
    public func scoped(to prefix: String) -> [ConfigurationProblem] {
        compactMap { $0.relative(to: prefix) }
    }
}
