import Foundation
import Logging
import OnCallCore
public import OnCallStore
import Synchronization

/// The single writer for one incident on this node.
///
/// Commands are served one at a time in arrival order (an explicit mailbox: an actor alone would let a second
/// command run while the first awaits its commit). Each command reads the incident (cached after the first),
/// applies the workflow, and commits everything in one transaction; the answer comes after the commit. A
/// version conflict (another node, or a duplicate activation here) reloads and applies the command again.
actor IncidentActor {
    let id: UUID
    private let core: EngineCore
    private var record: IncidentRecord?
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Commands waiting or running; read without the actor by the directory's passivation.
    nonisolated let pending = Atomic<Int>(0)
    /// Uptime nanoseconds of the last command's end; 0 while never used.
    nonisolated let lastActive = Atomic<Int64>(0)

    init(id: UUID, core: EngineCore) {
        self.id = id
        self.core = core
    }

    func handle(_ event: IncidentEvent, tenantID: String?, receipts: [BusReceipt] = []) async throws -> IncidentCommandResult {
        pending.wrappingAdd(1, ordering: .relaxed)
        await acquire()
        defer {
            release()
            lastActive.store(Int64(DispatchTime.now().uptimeNanoseconds), ordering: .relaxed)
            pending.wrappingSubtract(1, ordering: .relaxed)
        }
        if record == nil { record = try await core.group.loads.submit(id) }
        guard let current = record, tenantID == nil || current.tenantID == tenantID else { return .notFound }
        do {
            let result = try await core.apply(event, to: current, receipts: receipts)
            if case .applied(let next) = result { record = next }
            return result
        } catch is IncidentStore.VersionConflict {
            // Another writer (node) got there first: apply again under the row lock, which cannot conflict.
            core.logger.debug("version conflict, applying under the row lock", metadata: ["incident.id": "\(id)"])
            record = nil
            let result = try await core.applyLocked(
                event, id: id, tenantID: current.tenantID, serviceID: current.serviceID, workflow: current.workflow, receipts: receipts
            )
            record = result.record
            return result
        }
    }

    /// Forgets the cached row (the next command reads it again).
    func invalidate() {
        record = nil
    }

    private func acquire() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { locked = false } else { waiters.removeFirst().resume() }
    }
}

public struct EngineError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// What a command did, with the incident as it now stands.
public enum IncidentCommandResult: Sendable, Equatable {
    case applied(IncidentRecord)
    /// Accepted; the incident already was so (a repeated acknowledge).
    case unchanged(IncidentRecord)
    /// The incident's state does not allow it; the message names the state.
    case refused(IncidentRecord, String)
    case notFound

    public var record: IncidentRecord? {
        switch self {
        case .applied(let r), .unchanged(let r), .refused(let r, _): r
        case .notFound: nil
        }
    }
}
