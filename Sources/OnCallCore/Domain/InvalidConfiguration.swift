/// Why a configuration (a file, or one object of an admin API body) was refused: every problem found, not only the first.
public struct InvalidConfiguration: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    public init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
