import Foundation
import Logging
import OnCallCore
public import OnCallStore
import Synchronization

/// The single writer for one incident on this node.
///
/// Commands are served in arrival order (an explicit mailbox: an actor alone would let a second command run
/// while the first awaits its commit). Each command reads the incident (cached after the first), applies the
/// workflow, and commits everything in one transaction; the answer comes after the commit. A version conflict
/// (another node, or a duplicate activation here) reloads and applies the command again under the row lock.
///
/// Alerts that queue up behind a command (one dedup key firing hard) are folded: the next turn applies all the
/// waiting alerts in order and commits them in one transaction, so a hot key costs a commit per batch, not per
/// alert. Every caller still hears only after the commit that holds its alert.
actor IncidentActor {
    let id: UUID
    private let core: EngineCore
    private var record: IncidentRecord?
    /// A command is being served; others wait in `queue`.
    private var busy = false
    private var queue: [Job] = []
    /// Commands waiting or running; read without the actor by the directory's passivation.
    nonisolated let pending = Atomic<Int>(0)
    /// Uptime nanoseconds of the last command's end; 0 while never used.
    nonisolated let lastActive = Atomic<Int64>(0)

    /// Most alerts folded into one commit.
    static let maximumFold = 256

    struct Job {
        var event: IncidentEvent
        var tenantID: String?
        var receipts: [BusReceipt]
        var continuation: CheckedContinuation<IncidentCommandResult, any Error>
    }

    init(id: UUID, core: EngineCore) {
        self.id = id
        self.core = core
    }

    func handle(_ event: IncidentEvent, tenantID: String?, receipts: [BusReceipt] = []) async throws -> IncidentCommandResult {
        pending.wrappingAdd(1, ordering: .relaxed)
        defer {
            lastActive.store(Int64(DispatchTime.now().uptimeNanoseconds), ordering: .relaxed)
            pending.wrappingSubtract(1, ordering: .relaxed)
        }
        if busy {
            return try await withCheckedThrowingContinuation { queue.append(Job(event: event, tenantID: tenantID, receipts: receipts, continuation: $0)) }
        }
        busy = true
        let result: Result<IncidentCommandResult, any Error>
        do { result = .success(try await serve(event, tenantID: tenantID, receipts: receipts)) } catch { result = .failure(error) }
        // Whoever queued meanwhile is served by a task of its own, so this caller answers now.
        if queue.isEmpty { busy = false } else { Task { await drain() } }
        return try result.get()
    }

    /// Serves the queue until it is empty: folded alerts, or one other command at a time.
    private func drain() async {
        while !queue.isEmpty {
            var batch = [queue.removeFirst()]
            if case .alert = batch[0].event.kind {
                while batch.count < Self.maximumFold, let next = queue.first, case .alert = next.event.kind, next.tenantID == batch[0].tenantID {
                    batch.append(queue.removeFirst())
                }
            }
            if batch.count == 1 {
                let job = batch[0]
                do { job.continuation.resume(returning: try await serve(job.event, tenantID: job.tenantID, receipts: job.receipts)) } catch {
                    job.continuation.resume(throwing: error)
                }
                continue
            }
            do {
                let results = try await fold(batch)
                for (job, result) in zip(batch, results) { job.continuation.resume(returning: result) }
            } catch {
                for job in batch { job.continuation.resume(throwing: error) }
            }
        }
        busy = false
    }

    /// One command, committed on its own.
    private func serve(_ event: IncidentEvent, tenantID: String?, receipts: [BusReceipt]) async throws -> IncidentCommandResult {
        var fresh = false
        if record == nil {
            record = try await core.group.loads.submit(id)
            fresh = true
        }
        guard let current = record, tenantID == nil || current.tenantID == tenantID else { return .notFound }
        do {
            let result = try await core.apply(event, to: current, receipts: receipts)
            switch result {
            case .applied(let next):
                record = next
                return result
            case .unchanged, .refused:
                // Judged on the cached row, and nothing was written, so no version check caught it: another node may
                // have changed the incident since (re-armed the timer, unacknowledged it). Read it and judge again.
                guard !fresh, let latest = try await core.group.loads.submit(id), latest.version != current.version else { return result }
                record = latest
                let again = try await core.apply(event, to: latest, receipts: receipts)
                if case .applied(let next) = again { record = next }
                return again
            case .notFound:
                return result
            }
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

    /// Alerts of the same tenant, committed together; one by one if another writer got there first.
    private func fold(_ batch: [Job]) async throws -> [IncidentCommandResult] {
        if record == nil { record = try await core.group.loads.submit(id) }
        guard let current = record, batch[0].tenantID == nil || current.tenantID == batch[0].tenantID else {
            return batch.map { _ in .notFound }
        }
        if let results = try await core.applyAll(batch.map(\.event), to: current, receipts: batch.flatMap(\.receipts)) {
            if case .applied(let next)? = results.first(where: { if case .applied = $0 { true } else { false } }) { record = next }
            return results
        }
        record = nil
        var results: [IncidentCommandResult] = []
        for job in batch { results.append(try await serve(job.event, tenantID: job.tenantID, receipts: job.receipts)) }
        return results
    }

    /// Forgets the cached row (the next command reads it again).
    func invalidate() {
        record = nil
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
