import Foundation
import Testing
@testable import OnCallCore

@Suite("Loading workflow files")
struct WorkflowLoaderTests {
    @Test func theShippedWorkflowsLoad() throws {
        let incident = WorkflowFiles.incident
        #expect(incident.name == "incident")
        #expect(incident.states.map(\.name) == ["triggered", "escalating", "acknowledged", "resolved"])
        #expect(incident.state("resolved")?.isFinal == true)
        #expect(incident.timer("layer_timeout", in: "escalating")?.delay == .parameter(.layerDelay))
        #expect(incident.timer("auto_resolve", in: "acknowledged") != nil)
        #expect(incident.timer("auto_resolve", in: "resolved") == nil)
        #expect(WorkflowFiles.criticalFirst.name == "critical-first")
    }

    /// A minimal valid workflow that each refusal test breaks in one place.
    static func refused(_ yaml: String) -> [String] {
        do {
            _ = try WorkflowLoader.parse(yaml: yaml, source: "bad.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    static let valid = """
        workflow: w
        initial: open
        states:
          open:
            timers:
              nudge:
                after: 5m
                then: { do: [journal: nudged] }
            on:
              resolve:
                goto: closed
          closed:
            final: true
        """

    @Test func aMinimalWorkflowLoads() throws {
        #expect(Self.refused(Self.valid).isEmpty)
    }

    @Test(arguments: [
        // (what is broken, the line it is on, words the message must have)
        ("goto: closed", "goto: shut", 11, "unknown state 'shut'"),
        ("resolve:", "resolv:", 10, "unknown event 'resolv'"),
        ("journal: nudged", "jurnal: nudged", 8, "unknown effect 'jurnal'"),
        ("after: 5m", "after: service.nap", 7, "unknown parameter 'service.nap'"),
        ("after: 5m", "after: 500ms", 7, "unknown parameter '500ms'"),
        ("initial: open", "initial: opened", 1, "initial state 'opened'"),
        ("final: true", "final: false", 1, "no final state"),
    ])
    func refusalSaysFileLineAndWhat(original: String, replacement: String, line: Int, words: String) {
        let problems = Self.refused(Self.valid.replacingFirst(original, with: replacement))
        #expect(problems.contains { $0.hasPrefix("bad.yaml:\(line):") && $0.contains(words) }, "\(problems)")
    }

    @Test func unreachableStateIsNamed() {
        let problems = Self.refused(Self.valid + "\n  limbo:\n    on:\n      resolve: { goto: closed }\n")
        #expect(problems.contains { $0.hasPrefix("bad.yaml:14:") && $0.contains("'limbo' is never reached") }, "\(problems)")
    }

    @Test func timersOnFinalStatesAreRefused() {
        let own = Self.refused(Self.valid + "\n    timers:\n      late: { after: 1m, then: { do: [journal: x] } }\n")
        #expect(own.contains { $0.contains("final state 'closed' has timer 'late'") }, "\(own)")
        let group = Self.refused(Self.valid.replacingFirst("states:", with: "timers:\n  t:\n    after: 1m\n    while: [open, closed]\n    then: { do: [journal: x] }\nstates:"))
        #expect(group.contains { $0.hasPrefix("bad.yaml:4:") && $0.contains("runs in final state 'closed'") }, "\(group)")
    }

    @Test func aFinalStateCannotBeLeftAndTimerEffectsMustNameLiveTimers() {
        let leave = Self.refused(Self.valid + "\n    on:\n      note: { goto: open }\n")
        #expect(leave.contains { $0.contains("final state 'closed' cannot be left") }, "\(leave)")
        let timer = Self.refused(Self.valid.replacingFirst("goto: closed", with: "goto: closed\n        do: [start_timer: nudge]"))
        #expect(timer.contains { $0.contains("timer 'nudge' is not a timer of state 'closed'") }, "\(timer)")
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() {
        let problems = Self.refused(Self.valid.replacingFirst("goto: closed", with: "goto: nowhere").replacingFirst("journal: nudged", with: "shout: x"))
        #expect(problems.count >= 2, "\(problems)")
    }

    @Test func unknownGuardAndBadYAML() {
        let guardProblems = Self.refused(Self.valid.replacingFirst("goto: closed", with: "goto: closed\n        if: moon_is_full"))
        #expect(guardProblems.contains { $0.contains("unknown guard 'moon_is_full'") })
        let yaml = Self.refused("workflow: w\nstates: [unclosed\n")
        #expect(yaml.count == 1 && yaml[0].hasPrefix("bad.yaml:") && yaml[0].contains("not valid YAML"))
    }
}

@Suite("Durations in files")
struct DurationTextTests {
    @Test func parsesWhatPeopleWrite() {
        #expect(DurationText.parse("30s") == .seconds(30))
        #expect(DurationText.parse("5m") == .seconds(300))
        #expect(DurationText.parse("2h") == .seconds(7200))
        #expect(DurationText.parse("1d") == .seconds(86400))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("0s") == .zero)
    }

    @Test(arguments: ["", "5", "m", "5x", "30m1h", "1.5h", "-5m", "99999999999d"])
    func refusesTheRest(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsBack() {
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
        #expect(DurationText.format(.seconds(90061)) == "1d1h1m1s")
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
