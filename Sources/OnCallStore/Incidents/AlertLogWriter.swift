import Logging
public import ServiceLifecycle
import Synchronization

/// Keeps webhook payloads in the alerts log without a commit per request: requests hand their rows over and
/// return; every `interval` the rows gathered so far are written in one statement (and the rest at shutdown).
///
/// The incident itself is committed before the sender hears 202; only its raw payload waits here, and a crash
/// loses at most the last `interval` of payloads, never an alert.
public final class AlertLogWriter: Service, Sendable {
    public let log: AlertLog
    let interval: Duration
    private let pending = Mutex<[(entry: AlertLog.Entry, payload: String, bytes: Int32)]>([])

    public init(log: AlertLog, interval: Duration = .milliseconds(50)) {
        self.log = log
        self.interval = interval
    }

    /// Queues one request's rows (they share its payload); never waits for the database.
    public func enqueue(_ entries: [AlertLog.Entry], payload: [UInt8]) {
        let text = AlertLog.clipped(payload)
        let bytes = Int32(payload.count)
        pending.withLock { $0.append(contentsOf: entries.map { ($0, text, bytes) }) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
            }
        }
        await flush()
    }

    /// Writes what is queued, 1,000 rows a statement; rows that fail are logged and dropped.
    public func flush() async {
        let rows = pending.withLock { rows in
            defer { rows.removeAll(keepingCapacity: true) }
            return rows
        }
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(start + 1_000, rows.count)])
            do {
                try await log.insert(chunk)
            } catch {
                log.logger.warning("alerts log: \(chunk.count) payloads not kept: \(error)")
            }
            start += chunk.count
        }
    }
}
