/// A configuration value that cannot be used; the message names the variable and never echoes a secret.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The environment variable at fault.
    public let variable: String
    /// What is wrong with it, in plain words.
    public let reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "\(variable): \(reason)" }
}
