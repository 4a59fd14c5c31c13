import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// At most one ``IncidentActor`` per incident on this node, created on demand and passivated when idle.
///
/// Passivation drops actors that have had no command for `idleAfter`; their state is in PostgreSQL, and the
/// next command or timer activates a fresh actor from the row. (If a command races a passivation, two actors
/// may briefly exist; the version check on every commit keeps that harmless.)
final class IncidentDirectory: Sendable {
    private let actors = Mutex<[UUID: IncidentActor]>([:])
    private let core: EngineCore

    init(core: EngineCore) {
        self.core = core
    }

    func actor(for id: UUID) -> IncidentActor {
        actors.withLock { actors in
            if let existing = actors[id] { return existing }
            let created = IncidentActor(id: id, core: core)
            actors[id] = created
            return created
        }
    }

    var activeCount: Int { actors.withLock { $0.count } }

    /// Removes actors idle for at least `idleAfter`; returns how many.
    @discardableResult
    func passivate(idleAfter: Duration) -> Int {
        let now = Int64(DispatchTime.now().uptimeNanoseconds)
        let limit = Int64(idleAfter.components.seconds) * 1_000_000_000 + idleAfter.components.attoseconds / 1_000_000_000
        return actors.withLock { actors in
            let idle = actors.filter { _, actor in
                actor.pending.load(ordering: .relaxed) == 0 && now - actor.lastActive.load(ordering: .relaxed) >= limit
            }
            for id in idle.keys { actors[id] = nil }
            return idle.count
        }
    }
}

/// Runs the directory's passivation every `interval`.
struct PassivationService: ServiceLifecycle.Service {
    let directory: IncidentDirectory
    let idleAfter: Duration
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                directory.passivate(idleAfter: idleAfter)
            }
        }
    }
}
