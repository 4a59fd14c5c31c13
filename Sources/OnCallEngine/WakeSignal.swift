import Synchronization

/// A level-triggered wake-up for one waiting loop: `signal()` any number of times; the next `wait` returns at once.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        /// The current wait's timeout passed before its continuation was installed.
        var expired = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on a signal, after `timeout`, or when the calling task is cancelled, whichever comes first.
    func wait(timeout: Duration) async {
        if state.withLock({ state in
            defer { state.pending = false; state.expired = false }
            return state.pending
        }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wakeWaiter()
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || state.expired {
                        state.pending = false
                        state.expired = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            group.cancelAll()
        }
    }

    private func wakeWaiter() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            if state.waiter == nil { state.expired = true }
            return state.waiter
        }
        waiter?.resume()
    }
}
