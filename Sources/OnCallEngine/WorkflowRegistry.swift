import Foundation
public import OnCallCore

/// Every workflow under `workflows/`, loaded and checked at start; services name one of them.
public struct WorkflowRegistry: Sendable {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    public let workflows: [String: WorkflowInterpreter]

    public init(_ definitions: [WorkflowDefinition]) {
        self.workflows = Dictionary(definitions.map { ($0.name, WorkflowInterpreter($0)) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(name: String) -> WorkflowInterpreter? { workflows[name] }

    /// Every workflow of several folders (a name declared in two of them is refused).
    public static func load(directories: [String]) throws -> WorkflowRegistry {
        var definitions: [WorkflowDefinition] = []
        for directory in directories {
            for definition in try load(directory: directory).definitions {
                if definitions.contains(where: { $0.name == definition.name }) {
                    throw LoadError(description: "\(definition.source):1: workflow '\(definition.name)' is declared twice")
                }
                definitions.append(definition)
            }
        }
        return WorkflowRegistry(definitions)
    }

    /// The loaded definitions, by name.
    public var definitions: [WorkflowDefinition] { workflows.keys.sorted().compactMap { workflows[$0]?.workflow } }

    /// Loads every `*.yaml` in `directory`; refuses (listing every problem as `file:line: message`) when any file
    /// is invalid, two files declare the same name, or a file's name differs from its `workflow:`.
    public static func load(directory: String) throws -> WorkflowRegistry {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw LoadError(description: "workflows: cannot read \(directory): \(error.localizedDescription)")
        }
        guard !files.isEmpty else { throw LoadError(description: "workflows: no .yaml file in \(directory)") }
        var definitions: [WorkflowDefinition] = []
        var problems: [String] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let definition = try WorkflowLoader.parse(yaml: text, source: path)
                let stem = (file as NSString).deletingPathExtension
                if definition.name != stem {
                    problems.append("\(path):1: the file is named '\(stem)' but declares workflow '\(definition.name)'")
                } else if definitions.contains(where: { $0.name == definition.name }) {
                    problems.append("\(path):1: workflow '\(definition.name)' is declared twice")
                } else {
                    definitions.append(definition)
                }
            } catch let error as WorkflowLoadError {
                problems.append(contentsOf: error.problems.map(\.description))
            } catch {
                problems.append("\(path):1: cannot read: \(error.localizedDescription)")
            }
        }
        if !problems.isEmpty { throw LoadError(description: problems.joined(separator: "\n")) }
        return WorkflowRegistry(definitions)
    }

    /// `ONCALL_WORKFLOWS_DIR`, else `./workflows`, else the repository's folder (running from a build tree).
    public static func defaultDirectory(configured: String?) -> String {
        if let configured { return configured }
        if FileManager.default.fileExists(atPath: "workflows") { return "workflows" }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("workflows").path
    }
}
