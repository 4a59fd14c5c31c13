import Foundation
import OnCallCore

/// The repository's workflow files, read as the server reads them.
enum WorkflowFiles {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static func load(_ relativePath: String) throws -> WorkflowDefinition {
        let text = try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
        return try WorkflowLoader.parse(yaml: text, source: relativePath)
    }

    static let incident: WorkflowDefinition = try! load("workflows/incident.yaml")
    static let criticalFirst: WorkflowDefinition = try! load("fixtures/workflows/critical-first.yaml")
}

/// Drives one incident through a workflow, keeping its snapshot and the clock, like the engine does.
struct IncidentDriver {
    let interpreter: WorkflowInterpreter
    var parameters: WorkflowParameters
    var now: Timestamp
    var snapshot: IncidentSnapshot
    var last: WorkflowOutcome

    init(_ workflow: WorkflowDefinition, severity: Severity = .high, parameters: WorkflowParameters, now: Timestamp = Timestamp(secondsSince1970: 1_800_000_000)) {
        self.interpreter = WorkflowInterpreter(workflow)
        self.parameters = parameters
        self.now = now
        let outcome = interpreter.start(severity: severity, now: now, parameters: parameters, by: "integration:test")
        self.snapshot = outcome.snapshot
        self.last = outcome
    }

    @discardableResult
    mutating func send(_ kind: IncidentEvent.Kind, by actor: String? = "technician:alice") -> WorkflowOutcome {
        last = interpreter.apply(IncidentEvent(kind, by: actor), to: snapshot, now: now, parameters: parameters)
        snapshot = last.snapshot
        return last
    }

    /// Moves the clock to the timer's due time and fires it.
    @discardableResult
    mutating func fire(_ name: String) -> WorkflowOutcome {
        guard let armed = snapshot.timers[name] else { fatalError("timer \(name) is not armed; armed: \(snapshot.timers.keys.sorted())") }
        now = max(now, armed.dueAt)
        return send(.timer(name: name, generation: armed.generation), by: "system")
    }

    mutating func advance(_ duration: Duration) { now = now + duration }

    var pages: [WorkflowEffect] { last.effects.filter { if case .page = $0 { true } else { false } } }
    func due(_ name: String) -> Timestamp? { snapshot.timers[name]?.dueAt }
}
