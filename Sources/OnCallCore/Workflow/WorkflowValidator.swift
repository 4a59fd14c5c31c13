/// The checks that need the whole workflow: names resolve, every state is reachable, the machine can end.
enum WorkflowValidator {
    static func validate(_ workflow: WorkflowDefinition, into problems: inout [WorkflowLoadError.Problem]) {
        func problem(_ location: SourceLocation, _ message: String) { problems.append(.init(location: location, message: message)) }
        let names = Set(workflow.states.map(\.name))
        let top = SourceLocation(file: workflow.source, line: 1)

        if !names.contains(workflow.initial) { problem(top, "initial state '\(workflow.initial)' is not declared under states") }
        if !workflow.states.contains(where: \.isFinal) { problem(top, "no final state: mark the state where incidents end with 'final: true'") }

        for timer in workflow.groupTimers {
            for state in timer.during ?? [] where !names.contains(state) {
                problem(timer.location, "timer '\(timer.name)' runs while unknown state '\(state)'")
            }
            for state in workflow.states where state.isFinal && timer.covers(state.name) {
                problem(timer.location, "timer '\(timer.name)' runs in final state '\(state.name)'; a final state has no timers")
            }
            for state in workflow.states where timer.covers(state.name) && state.timers.contains(where: { $0.name == timer.name }) {
                problem(timer.location, "timer '\(timer.name)' is declared both here and in state '\(state.name)'")
            }
        }

        for state in workflow.states {
            if state.isFinal, let timer = state.timers.first {
                problem(timer.location, "final state '\(state.name)' has timer '\(timer.name)'; a final state has no timers")
            }
            // Transitions written in this state (its handlers and always, its own timers' then).
            let written: [TransitionDefinition] = state.always + state.handlers.values.flatMap { $0 } + state.timers.flatMap(\.then)
            for transition in written {
                checkTransition(transition, from: [state.name], workflow: workflow, names: names, problem: problem)
            }
            check(actions: state.entry, liveIn: [state.name], workflow: workflow, problem: problem)
            check(actions: state.exit, liveIn: [state.name], workflow: workflow, problem: problem)
        }
        for timer in workflow.groupTimers {
            for transition in timer.then {
                checkTransition(transition, from: Array(timer.during ?? []).sorted(), workflow: workflow, names: names, problem: problem)
            }
        }

        // Reachability from the initial state.
        guard names.contains(workflow.initial) else { return }
        var reached: Set<String> = [workflow.initial]
        var frontier = [workflow.initial]
        while let current = frontier.popLast() {
            guard let state = workflow.state(current) else { continue }
            let outgoing = state.always + state.handlers.values.flatMap { $0 } + workflow.timers(in: current).flatMap(\.then)
            for target in outgoing.compactMap(\.target) where names.contains(target) && !reached.contains(target) {
                reached.insert(target)
                frontier.append(target)
            }
        }
        for state in workflow.states where !reached.contains(state.name) {
            problem(state.location, "state '\(state.name)' is never reached from '\(workflow.initial)'")
        }
    }

    private static func checkTransition(
        _ transition: TransitionDefinition, from states: [String], workflow: WorkflowDefinition, names: Set<String>,
        problem: (SourceLocation, String) -> Void
    ) {
        if let target = transition.target {
            if !names.contains(target) {
                problem(transition.location, "goto unknown state '\(target)' (states: \(workflow.states.map(\.name).joined(separator: ", ")))")
                return
            }
            for state in states where workflow.state(state)?.isFinal == true && target != state {
                problem(transition.location, "final state '\(state)' cannot be left (goto \(target))")
            }
        }
        // Timer effects in a transition that changes state refer to the target's timers; otherwise to the current ones.
        let live = transition.target.map { [$0] } ?? states
        check(actions: transition.actions, liveIn: live, workflow: workflow, problem: { _, message in problem(transition.location, message) })
    }

    private static func check(actions: [WorkflowAction], liveIn states: [String], workflow: WorkflowDefinition, problem: (SourceLocation, String) -> Void) {
        let location = SourceLocation(file: workflow.source, line: states.compactMap { workflow.state($0)?.location.line }.min() ?? 1)
        for action in actions {
            switch action {
            case .startTimer(let name), .restartTimer(let name), .cancelTimer(let name):
                for state in states where workflow.timer(name, in: state) == nil && workflow.state(state) != nil {
                    problem(location, "timer '\(name)' is not a timer of state '\(state)'")
                }
            case .conditional(_, let then, let otherwise):
                check(actions: then + otherwise, liveIn: states, workflow: workflow, problem: problem)
            default:
                break
            }
        }
    }
}
