import Foundation
import Testing
import OnCallCore
@testable import OnCallStore

@Suite("Snapshot and timeline JSON written by hand")
struct SnapshotColumnsTests {
    static func sample() -> IncidentSnapshot {
        var snapshot = IncidentSnapshot(state: "acknowledged \"quoted\"", sequence: 42, severity: .critical, createdAt: Timestamp(microseconds: 1_800_000_000_123_456))
        snapshot.layer = 2
        snapshot.layerCovered = false
        snapshot.round = 1
        snapshot.exhausted = true
        snapshot.alertCount = 7
        snapshot.assignee = "bob \"b\""
        snapshot.policy = "network"
        snapshot.timers = [
            "ack_timeout": .init(generation: 40, dueAt: Timestamp(microseconds: 1_800_000_100_000_000)),
            "auto_resolve": .init(generation: 3, dueAt: Timestamp(microseconds: 1_800_014_400_000_001)),
        ]
        return snapshot
    }

    @Test func aSnapshotWithoutAssigneeOrPolicyOmitsThem() throws {
        var snapshot = Self.sample()
        snapshot.assignee = nil
        snapshot.policy = nil
        let text = SnapshotColumns.encode(snapshot)
        #expect(!text.contains("assignee") && !text.contains("policy"))
        #expect(text == (try IncidentStore.json(snapshot)))
    }

    @Test func theHandWrittenSnapshotDecodesWithCodable() throws {
        let snapshot = Self.sample()
        let text = SnapshotColumns.encode(snapshot)
        #expect(try JSONDecoder().decode(IncidentSnapshot.self, from: Data(text.utf8)) == snapshot)
        // Same bytes as Codable with sorted keys, so rows written either way look alike.
        #expect(text == (try IncidentStore.json(snapshot)))
    }

    @Test func timelineDetailsEscapeWhatJSONNeeds() throws {
        let detail = ["text": "line1\nline2 \"q\" \\ tab\t bell\u{07} é 🚨", "a": ""]
        let text = try IncidentStore.json(detail)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(text.utf8)) == detail)
    }
}
