import Foundation
import OnCallCore
import OnCallParsers
import Testing

/// Property tests with a seeded generator (the same inputs every run; a failure names its seed and input):
/// every parser, the bus event decoder and the Defend parser take mutated real payloads from `fixtures/` and
/// hostile shapes, and either give alerts that are safe to store or a clear error. Never a crash or a hang.
@Suite("Parsers under mutated input")
struct ParserFuzzTests {
    /// SplitMix64: small, seedable, good enough to spread mutations.
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

    /// Pieces that break parsers when they land in the wrong place.
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "\\u0000", "null", "true", "-0", "1e999999", "-1e-999999",
        "99999999999999999999999999", "NaN", "\u{0}", "\u{FEFF}", "é", "🚨", "%", "%00", "%ZZ", "&", "=", "+", "\r\n", "\n\n", "'", "$HOSTNAME$",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<6, using: &g) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &g))
            case 1 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &g)))
            case 2: bytes.insert(contentsOf: tokens.randomElement(using: &g)!, at: at)
            case 3: bytes = Array(bytes.prefix(at))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &g))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &g))
            default: bytes.insert(UInt8.random(in: 0...255, using: &g), at: at)
            }
        }
        return bytes
    }

    /// Shapes no mutation reaches quickly: deep nesting, long strings, many keys, wrong top-level types.
    static let hostile: [[UInt8]] = [
        Array(String(repeating: "[", count: 100_000).utf8),
        Array((String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)).utf8),
        Array(("{\"title\":\"" + String(repeating: "x", count: 900_000) + "\"}").utf8),
        Array(("{" + (0..<20_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}").utf8),
        Array("[]".utf8), Array("\"just a string\"".utf8), Array("42".utf8), Array("null".utf8), [], [0], [0xFF, 0xFE, 0x00],
        Array(String(repeating: "a=b&", count: 50_000).utf8),
    ]

    static let types: [Integration.Kind] = [.generic, .nagios, .icinga, .zabbix, .datadog, .pagerduty, .alertmanager, .grafana]

    /// What every alert that comes out must be: storable as it is.
    static func check(_ alerts: [NormalizedAlert], _ label: String) {
        for alert in alerts {
            #expect(!alert.title.isEmpty && alert.title.count <= AlertText.maximumTitle, "\(label): title \(alert.title.prefix(80))")
            let texts = [alert.title, alert.dedupKey ?? "", alert.description ?? "", alert.device ?? ""] + alert.details.flatMap { [$0.key, $0.value] }
            #expect(!texts.contains { $0.utf8.contains(0) }, "\(label): a NUL would fail the database write")
        }
    }

    static func fixtures() throws -> [(name: String, bytes: [UInt8])] {
        var all: [(String, [UInt8])] = []
        for type in types {
            for file in try WebhookFixtures.files(type.rawValue) { all.append(("\(type.rawValue)/\(file)", try WebhookFixtures.bytes(type.rawValue, file))) }
        }
        return all
    }

    @Test(arguments: types)
    func everyParserTakesMutatedFixturesOfEverySource(_ type: Integration.Kind) throws {
        let parser = try #require(AlertParsers.parser(for: type))
        var g = Generator(state: 0x0C_A11 &+ UInt64(type.rawValue.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        let seeds = try Self.fixtures()
        var accepted = 0, refused = 0
        for round in 0..<800 {
            let seed = seeds[round % seeds.count]
            let input = round < seeds.count ? seed.bytes : Self.mutate(seed.bytes, &g)
            for contentType in ["application/json", "application/x-www-form-urlencoded"] where round % 2 == 0 || contentType == "application/json" {
                do {
                    Self.check(try parser.parse(InboundPayload(body: input, contentType: contentType)), "\(type) round \(round) from \(seed.name)")
                    accepted += 1
                } catch {
                    #expect(!error.message.isEmpty, "\(type) round \(round): an error must say what is wrong")
                    refused += 1
                }
            }
        }
        for (index, input) in Self.hostile.enumerated() {
            do { Self.check(try parser.parse(InboundPayload(body: input, contentType: "application/json")), "\(type) hostile \(index)") } catch {
                #expect(!error.message.isEmpty)
            }
        }
        #expect(accepted > 0 && refused > 0, "\(type): \(accepted) accepted, \(refused) refused — the mutations must reach both sides")
    }

    @Test func busEventsAndDefendEscalationsTakeMutatedFixtures() throws {
        var g = Generator(state: 0xB05)
        let root = WebhookFixtures.root.deletingLastPathComponent()
        let bus = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("bus").path).sorted().map {
            Array(try Data(contentsOf: root.appendingPathComponent("bus").appendingPathComponent($0)))
        }
        for round in 0..<1_500 {
            let input = Self.mutate(bus[round % bus.count], &g)
            if let event = try? BusEvent.decode(input), case .alert(let alert, _)? = try? event.decision(rmmThreshold: .high) {
                Self.check([alert], "bus round \(round)")
            }
            if let escalation = try? DefendEscalation.parse(input) { Self.check([escalation.alert], "defend round \(round)") }
        }
        for input in Self.hostile {
            _ = try? BusEvent.decode(input)
            _ = try? DefendEscalation.parse(input)
        }
    }
}
