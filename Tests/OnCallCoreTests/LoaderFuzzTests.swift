import Foundation
import OnCallCore
import Testing

/// The workflow loader and the configuration codec under mutated files (seeded, so every run is the same):
/// a file either loads or is refused with problems that say where; nothing crashes or hangs, and whatever
/// loads also runs.
@Suite("Loaders under mutated files")
struct LoaderFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Words of the formats, to land where other words were.
    static let words = ["goto:", "do:", "if:", "on:", "after:", "then:", "entry:", "timers:", "states:", "initial:", "final: true", "- ", "[", "]", "{", "}",
                        "escalating", "resolved", "page_layer: next", "publish: incident.created", "not:", "all: [", "layer.delay", "0s", "-5m", "99999d",
                        "&anchor", "*anchor", "!!binary", "<<: *anchor", "\t", "'", "\"", "#", "~", "null", "\u{0}", "é"]

    /// Line-level mutations: YAML breaks at the line, and so do people.
    static func mutate(_ text: String, _ g: inout Generator) -> String {
        var lines = text.components(separatedBy: "\n")
        for _ in 0..<Int.random(in: 1...3, using: &g) {
            let at = Int.random(in: 0..<max(lines.count, 1), using: &g)
            guard !lines.isEmpty else { lines.append(words.randomElement(using: &g)!); continue }
            switch Int.random(in: 0..<6, using: &g) {
            case 0: lines.remove(at: at)
            case 1: lines.insert(lines[Int.random(in: 0..<lines.count, using: &g)], at: at)
            case 2: lines[at] = String(repeating: " ", count: Int.random(in: 0...12, using: &g)) + lines[at].trimmingCharacters(in: .whitespaces)
            case 3:
                var parts = lines[at].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                if !parts.isEmpty { parts[Int.random(in: 0..<parts.count, using: &g)] = words.randomElement(using: &g)! }
                lines[at] = parts.joined(separator: " ")
            case 4: lines[at] += " " + words.randomElement(using: &g)!
            default: lines.swapAt(at, Int.random(in: 0..<lines.count, using: &g))
            }
        }
        return lines.joined(separator: "\n")
    }

    static let hostile = [
        String(repeating: "[", count: 50_000), String(repeating: "- ", count: 20_000) + "x", String(repeating: "a: &a [*a]\n", count: 2),
        // A billion laughs: anchors that expand to far more than the file.
        "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "", "\u{0}", "workflow: x\nversion: 1\ninitial: a\nstates:\n  a: {}\n" + String(repeating: "  b: {}\n", count: 5_000),
    ]

    @Test func theWorkflowLoaderRefusesWithProblemsThatSayWhere() throws {
        let original = try String(contentsOf: WorkflowFiles.root.appendingPathComponent("workflows/incident.yaml"), encoding: .utf8)
        var g = Generator(state: 0xF10)
        var loaded = 0, refused = 0
        for round in 0..<800 {
            let text = Self.mutate(original, &g)
            do {
                let workflow = try WorkflowLoader.parse(yaml: text, source: "mutated.yaml")
                loaded += 1
                // Whatever loads runs: a new incident and a few events, without a crash or a runaway loop.
                var driver = IncidentDriver(workflow, parameters: WorkflowParameters(layers: [.init(delay: .seconds(60)), .init(delay: .seconds(60))], repeatCount: 1))
                for kind: IncidentEvent.Kind in [.alert(), .acknowledge, .note("n"), .unacknowledge, .escalate(layer: 2), .reassign(.technician("bob")), .resolve] {
                    _ = driver.send(kind)
                }
            } catch {
                refused += 1
                #expect(!error.problems.isEmpty && error.problems.allSatisfy { $0.location.file == "mutated.yaml" && !$0.message.isEmpty },
                        "round \(round): \(error)")
            }
        }
        for text in Self.hostile { _ = try? WorkflowLoader.parse(yaml: text, source: "hostile.yaml") }
        #expect(loaded > 0 && refused > 0, "\(loaded) loaded, \(refused) refused")
    }

    @Test func theConfigurationCodecRefusesWithProblemsThatSayWhere() throws {
        let original = try String(contentsOf: WorkflowFiles.root.appendingPathComponent("fixtures/config/acme.yaml"), encoding: .utf8)
        var g = Generator(state: 0xC0F)
        var loaded = 0, refused = 0
        for round in 0..<300 {
            do {
                _ = try ConfigurationCodec.loadDocument(Self.mutate(original, &g), workflows: ["incident"])
                loaded += 1
            } catch {
                refused += 1
                #expect(!error.problems.isEmpty && error.problems.allSatisfy { !$0.message.isEmpty }, "round \(round): \(error)")
            }
        }
        for text in Self.hostile { _ = try? ConfigurationCodec.loadDocument(text) }
        #expect(loaded > 0 && refused > 0, "\(loaded) loaded, \(refused) refused")
    }
}
