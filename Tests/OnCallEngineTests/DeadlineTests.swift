import Foundation
import Testing
@testable import OnCallEngine

/// A database call that never returns must not wedge its batch (found by ops/chaos/run across a PostgreSQL restart).
@Suite("Batch deadline")
struct DeadlineTests {
    @Test func workThatNeverEndsIsAnsweredWithAnErrorAtTheDeadline() async throws {
        let (never, _) = AsyncStream<Int>.makeStream()
        let result = await DatabaseDeadline.run(.milliseconds(100)) {
            for await value in never { return value }
            return -1
        }
        guard case .failure(let error) = result else { Issue.record("expected the deadline to answer, got \(result)"); return }
        #expect("\(error)".contains("did not answer"))
    }

    @Test func workThatEndsKeepsItsResultAndErrors() async throws {
        let done = await DatabaseDeadline.run(.seconds(30)) { 42 }
        #expect(try done.get() == 42)
        struct Refused: Error {}
        let refused = await DatabaseDeadline.run(.seconds(30)) { throw Refused() }
        #expect(throws: Refused.self) { try refused.get() }
    }
}
