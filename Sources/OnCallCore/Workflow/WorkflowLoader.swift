import Yams

/// Reads a workflow file (YAML) into a checked ``WorkflowDefinition``.
///
/// Pure: the caller reads the file and passes its text; `source` names it in messages (`workflows/incident.yaml`).
/// Every problem is reported with its line, not only the first.
public enum WorkflowLoader {
    public static func parse(yaml: String, source: String) throws(WorkflowLoadError) -> WorkflowDefinition {
        var reader = Reader(source: source)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw WorkflowLoadError(problems: [.init(location: .init(file: source, line: Self.line(of: error)), message: "not valid YAML: \(error)")])
        } catch {
            throw WorkflowLoadError(problems: [.init(location: .init(file: source, line: 1), message: "not valid YAML: \(error)")])
        }
        guard let root, let mapping = root.mapping else {
            throw WorkflowLoadError(problems: [.init(location: .init(file: source, line: 1), message: "a workflow file is a mapping with workflow, initial and states")])
        }
        let definition = reader.workflow(mapping, node: root)
        if let definition { WorkflowValidator.validate(definition, into: &reader.problems) }
        if !reader.problems.isEmpty || definition == nil {
            throw WorkflowLoadError(problems: reader.problems.sorted { $0.location.line < $1.location.line })
        }
        return definition!
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: 1
        }
    }
}

/// Turns YAML nodes into definitions, noting problems with their lines as it goes.
private struct Reader {
    let source: String
    var problems: [WorkflowLoadError.Problem] = []

    init(source: String) { self.source = source }

    func at(_ node: Node) -> SourceLocation { SourceLocation(file: source, line: node.mark?.line ?? 1) }

    mutating func problem(_ node: Node, _ message: String) {
        problems.append(.init(location: at(node), message: message))
    }

    /// The mapping's pairs by key, noting unknown keys.
    mutating func keyed(_ mapping: Node.Mapping, allowed: Set<String>, in context: String) -> [String: Node] {
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { problem(key, "\(context): keys must be plain words"); continue }
            if !allowed.contains(name) {
                problem(key, "unknown key '\(name)' in \(context) (expected \(allowed.sorted().joined(separator: ", ")))")
                continue
            }
            result[name] = value
        }
        return result
    }

    mutating func workflow(_ mapping: Node.Mapping, node: Node) -> WorkflowDefinition? {
        let top = keyed(mapping, allowed: ["workflow", "version", "description", "initial", "timers", "states"], in: "the workflow")
        guard let name = top["workflow"]?.string else { problem(node, "missing 'workflow: NAME'"); return nil }
        if let version = top["version"], version.int != 1 { problem(version, "version must be 1") }
        guard let initial = top["initial"]?.string else { problem(node, "missing 'initial: STATE'"); return nil }
        guard let statesNode = top["states"], let states = statesNode.mapping else { problem(node, "missing 'states:' mapping"); return nil }

        var definitions: [StateDefinition] = []
        for (key, value) in states {
            guard let stateName = key.string else { problem(key, "a state name must be a word"); continue }
            if definitions.contains(where: { $0.name == stateName }) { problem(key, "state '\(stateName)' is declared twice"); continue }
            definitions.append(state(stateName, value, key: key))
        }
        var groupTimers: [TimerDefinition] = []
        if let timersNode = top["timers"] {
            groupTimers = timers(timersNode, group: true)
        }
        return WorkflowDefinition(name: name, initial: initial, states: definitions, groupTimers: groupTimers, source: source)
    }

    mutating func state(_ name: String, _ node: Node, key: Node) -> StateDefinition {
        let location = at(key)
        guard let mapping = node.mapping else {
            if node.null == nil { problem(node, "state '\(name)' must be a mapping") }
            return StateDefinition(name: name, isFinal: false, entry: [], exit: [], timers: [], always: [], handlers: [:], location: location)
        }
        let fields = keyed(mapping, allowed: ["description", "final", "entry", "exit", "timers", "always", "on"], in: "state '\(name)'")
        var isFinal = false
        if let finalNode = fields["final"] {
            if let value = finalNode.bool { isFinal = value } else { problem(finalNode, "final must be true or false") }
        }
        var handlers: [String: [TransitionDefinition]] = [:]
        if let on = fields["on"] {
            if let onMapping = on.mapping {
                for (eventKey, transitionsNode) in onMapping {
                    guard let event = eventKey.string else { problem(eventKey, "an event name must be a word"); continue }
                    if WorkflowEventName(rawValue: event) == nil {
                        problem(eventKey, "unknown event '\(event)' (events: \(WorkflowEventName.allCases.map(\.rawValue).joined(separator: ", ")); a timer says what it does under its own 'then')")
                        continue
                    }
                    handlers[event] = transitions(transitionsNode)
                }
            } else if on.null == nil {
                problem(on, "'on' must map event names to transitions")
            }
        }
        return StateDefinition(
            name: name,
            isFinal: isFinal,
            entry: fields["entry"].map { actions($0) } ?? [],
            exit: fields["exit"].map { actions($0) } ?? [],
            timers: fields["timers"].map { timers($0, group: false) } ?? [],
            always: fields["always"].map { transitions($0) } ?? [],
            handlers: handlers,
            location: location
        )
    }

    mutating func timers(_ node: Node, group: Bool) -> [TimerDefinition] {
        guard let mapping = node.mapping else {
            if node.null == nil { problem(node, "'timers' must map timer names to {after, then}") }
            return []
        }
        var result: [TimerDefinition] = []
        for (key, value) in mapping {
            guard let name = key.string else { problem(key, "a timer name must be a word"); continue }
            if WorkflowEventName(rawValue: name) != nil { problem(key, "timer '\(name)' has the name of an event; choose another") }
            guard let fields = value.mapping.map({ keyed($0, allowed: group ? ["after", "while", "then", "description"] : ["after", "then", "description"], in: "timer '\(name)'") }) else {
                problem(value, "timer '\(name)' must be a mapping with 'after' and 'then'")
                continue
            }
            guard let afterNode = fields["after"], let after = afterNode.string else { problem(key, "timer '\(name)' has no 'after' duration"); continue }
            let delay: DelayExpression
            if let parameter = WorkflowParameter(rawValue: after) {
                delay = .parameter(parameter)
            } else if let duration = DurationText.parse(after) {
                if duration < .seconds(1) && duration != .zero { problem(afterNode, "durations go down to one second") }
                delay = .literal(duration)
            } else {
                problem(afterNode, "unknown parameter '\(after)' (a duration like 30s, 5m, 2h, or one of \(WorkflowParameter.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            var during: Set<String>? = nil
            if group {
                guard let whileNode = fields["while"], let states = whileNode.sequence?.compactMap(\.string), !states.isEmpty else {
                    problem(key, "workflow timer '\(name)' needs 'while: [states]' (the states during which it runs)")
                    continue
                }
                during = Set(states)
            }
            guard let thenNode = fields["then"] else { problem(key, "timer '\(name)' has no 'then' (what happens when it fires)"); continue }
            result.append(TimerDefinition(name: name, delay: delay, during: during, then: transitions(thenNode), location: at(key)))
        }
        return result
    }

    mutating func transitions(_ node: Node) -> [TransitionDefinition] {
        if node.null != nil { return [] }
        if node.mapping != nil { return [transition(node)].compactMap { $0 } }
        guard let items = node.sequence else {
            problem(node, "expected a transition {if, goto, do} or a list of them")
            return []
        }
        return items.compactMap { transition($0) }
    }

    mutating func transition(_ node: Node) -> TransitionDefinition? {
        guard let mapping = node.mapping else { problem(node, "a transition is a mapping with 'if', 'goto' and 'do'"); return nil }
        let fields = keyed(mapping, allowed: ["if", "goto", "do"], in: "a transition")
        var target: String? = nil
        if let gotoNode = fields["goto"] {
            if let name = gotoNode.string { target = name } else { problem(gotoNode, "'goto' names a state") }
        }
        return TransitionDefinition(
            guardCondition: fields["if"].flatMap { guardCondition($0) },
            target: target,
            actions: fields["do"].map { actions($0) } ?? [],
            location: at(node)
        )
    }

    mutating func guardCondition(_ node: Node) -> WorkflowGuard? {
        if let name = node.string {
            if let named = WorkflowGuard.named[name] { return named }
            problem(node, "unknown guard '\(name)' (guards: \(WorkflowGuard.named.keys.sorted().joined(separator: ", ")), severity, not, all, any)")
            return nil
        }
        guard let mapping = node.mapping, mapping.count == 1, let (key, value) = mapping.first.map({ ($0.key, $0.value) }), let word = key.string else {
            problem(node, "a guard is a name (should_page) or one of {not: …}, {all: […]}, {any: […]}, {severity: […]}")
            return nil
        }
        switch word {
        case "not":
            return guardCondition(value).map { .not($0) }
        case "all", "any":
            guard let items = value.sequence else { problem(value, "'\(word)' takes a list of guards"); return nil }
            let guards = items.compactMap { guardCondition($0) }
            guard guards.count == items.count else { return nil }
            return word == "all" ? .all(guards) : .any(guards)
        case "severity":
            let names = value.sequence?.compactMap(\.string) ?? value.string.map { [$0] } ?? []
            var severities = Set<Severity>()
            for name in names {
                if let severity = Severity(rawValue: name) { severities.insert(severity) } else {
                    problem(value, "unknown severity '\(name)' (critical, high, medium, low, info)")
                }
            }
            return severities.isEmpty ? nil : .severity(severities)
        default:
            problem(key, "unknown guard '\(word)'")
            return nil
        }
    }

    mutating func actions(_ node: Node) -> [WorkflowAction] {
        if node.null != nil { return [] }
        guard let items = node.sequence else {
            problem(node, "expected a list of effects")
            return []
        }
        return items.compactMap { action($0) }
    }

    static let effectNames = ["page_layer", "publish", "psa", "journal", "count_alert", "count_repeat", "mark_exhausted",
                              "cancel_pages", "start_timer", "restart_timer", "cancel_timer", "if"]

    mutating func action(_ node: Node) -> WorkflowAction? {
        if let word = node.string {
            switch word {
            case "count_alert": return .countAlert
            case "count_repeat": return .countRepeat
            case "mark_exhausted": return .markExhausted
            case "cancel_pages": return .cancelPages
            default:
                problem(node, "unknown effect '\(word)' (effects: \(Self.effectNames.joined(separator: ", ")))")
                return nil
            }
        }
        guard let mapping = node.mapping, let first = mapping.first, let word = first.key.string else {
            problem(node, "an effect is a word (count_alert) or a one-key mapping (page_layer: next)")
            return nil
        }
        if word == "if" {
            let fields = keyed(mapping, allowed: ["if", "then", "else"], in: "a conditional effect")
            guard let condition = fields["if"].flatMap({ guardCondition($0) }) else { return nil }
            return .conditional(condition, then: fields["then"].map { actions($0) } ?? [], otherwise: fields["else"].map { actions($0) } ?? [])
        }
        guard mapping.count == 1 else {
            problem(node, "an effect mapping has one key (found \(mapping.count))")
            return nil
        }
        let value = first.value
        let text = value.string ?? ""
        switch word {
        case "page_layer":
            switch text {
            case "start": return .pageLayer(.start)
            case "first": return .pageLayer(.first)
            case "next": return .pageLayer(.next)
            default:
                if let number = value.int, number >= 1 { return .pageLayer(.number(number)) }
                problem(value, "page_layer takes start, first, next or a layer number from 1")
                return nil
            }
        case "publish":
            if let event = LifecycleEvent(rawValue: text) { return .publish(event) }
            problem(value, "unknown lifecycle event '\(text)' (\(LifecycleEvent.allCases.map(\.rawValue).joined(separator: ", ")))")
        case "psa":
            if let operation = PSAOperation(rawValue: text) { return .psa(operation) }
            problem(value, "unknown PSA operation '\(text)' (\(PSAOperation.allCases.map(\.rawValue).joined(separator: ", ")))")
        case "journal":
            if !text.isEmpty { return .journal(text) }
            problem(value, "journal takes an entry name")
        case "start_timer", "restart_timer", "cancel_timer":
            guard !text.isEmpty else { problem(value, "\(word) takes a timer name"); return nil }
            return word == "start_timer" ? .startTimer(text) : word == "restart_timer" ? .restartTimer(text) : .cancelTimer(text)
        default:
            problem(first.key, "unknown effect '\(word)' (effects: \(Self.effectNames.joined(separator: ", ")))")
        }
        return nil
    }
}
