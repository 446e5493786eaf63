import Logging
import Synchronization

/// Bounds the lines spooled but not yet acknowledged, across all tasks.
final class SpoolGate: Sendable {
    /// The most unacknowledged lines held.
    let capacity: Int
    private let held: Mutex<Int>
    private let metrics: DelegateMetrics
    private let logger: Logger
    private let warned = Mutex(false)

    init(capacity: Int, held: Int, metrics: DelegateMetrics, logger: Logger) {
        self.capacity = capacity
        self.held = Mutex(held)
        self.metrics = metrics
        self.logger = logger
    }

    /// Takes room for `n` lines, or returns false when the spool is full.
    func reserve(_ n: Int) -> Bool {
        let ok = held.withLock { h in
            if h + n > capacity { return false }
            h += n
            return true
        }
        if ok { warned.withLock { $0 = false } }
        return ok
    }

    /// Takes room for `n` lines even over the cap.
    func force(_ n: Int) { held.withLock { $0 += n } }

    /// Gives back room for acknowledged lines.
    func release(_ n: Int) { held.withLock { $0 = max(0, $0 - n) } }

    func noteDropped(_ n: Int) {
        metrics.dropped(n)
        let first = warned.withLock { w in
            defer { w = true }
            return !w
        }
        if first {
            logger.error("log spool full: dropping task log lines until the manager acknowledges some", metadata: ["spoolMaxLines": "\(capacity)"])
        }
    }

    var heldLines: Int { held.withLock { $0 } }
}
