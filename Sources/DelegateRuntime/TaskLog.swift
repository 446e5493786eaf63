import DelegateProtocol
import Foundation
import Logging
import ManagerClient
import Synchronization

/// Where a task writes its log lines: masked, numbered, spooled to SQLite, then shipped in order.
///
/// `log` never blocks on the network: lines are numbered and buffered; the
/// task's pump spools them (one SQLite transaction per batch) and ships the
/// spool to the manager as soon as the previous batch is acknowledged, so a
/// quiet task's first line reaches the manager at once and a chatty task's
/// lines travel in large batches.
public final class TaskLog: Sendable {
    /// The task the lines belong to.
    public let taskId: String
    let leaseId: String
    private let masker: SecretMasker
    private let gate: SpoolGate
    private let state: Mutex<State>
    private let wakeup = Wakeup()
    /// Signalled when the pump takes the buffered lines.
    private let room = Wakeup()
    /// Buffered (not yet spooled) lines above which `waitForRoom` holds a producer back.
    public static let highWater = 20_000

    private struct State {
        var nextSeq: Int64
        var pending: [LogLine] = []
        var closed = false
        var cancelRequested = false
        var dropped = 0
    }

    /// Creates the log of a task; `firstSeq` continues an existing spool.
    init(taskId: String, leaseId: String, masker: SecretMasker, gate: SpoolGate, firstSeq: Int64 = 1) {
        self.taskId = taskId
        self.leaseId = leaseId
        self.masker = masker
        self.gate = gate
        state = Mutex(State(nextSeq: firstSeq))
    }

    /// Writes one line (masked before it goes anywhere).
    ///
    /// When the spool is full the line is dropped and counted; the next line
    /// that fits is preceded by one saying how many were dropped, so sequence
    /// numbers stay dense and the gap is visible to the reader.
    public func log(_ text: String, level: String = "info", unit: String = "Execute") {
        let masked = masker.apply(text)
        let now = Date()
        let accepted: Bool = state.withLock { s in
            if s.closed { return false }
            let needed = s.dropped > 0 ? 2 : 1
            guard gate.reserve(needed) else {
                s.dropped += 1
                gate.noteDropped(1)
                return false
            }
            appendDropNotice(&s, now: now, unit: unit)
            s.pending.append(LogLine(seq: s.nextSeq, time: now, level: level, unit: unit, text: masked))
            s.nextSeq += 1
            return true
        }
        if accepted { wakeup.signal() }
    }

    /// Says how many lines were dropped, if any (room for it is already reserved, or forced at close).
    private func appendDropNotice(_ s: inout State, now: Date, unit: String) {
        guard s.dropped > 0 else { return }
        s.pending.append(LogLine(
            seq: s.nextSeq, time: now, level: "warn", unit: unit,
            text: "[ecs-delegate] \(s.dropped) log lines dropped: the delegate's spool was full (spool_max_lines \(gate.capacity)); the manager was unreachable for too long"))
        s.nextSeq += 1
        s.dropped = 0
    }

    /// Waits while more than `highWater` lines wait to be spooled, so a task that prints faster than its
    /// lines can be spooled and shipped runs at that pace with flat memory instead of buffering its whole output.
    ///
    /// `log` itself never waits (steps log from synchronous code); a handler that can print without bound
    /// (`delegate.echo`) calls this between lines.
    public func waitForRoom() async {
        while state.withLock({ $0.pending.count >= Self.highWater && !$0.closed }) {
            if Task.isCancelled { return }
            wakeup.signal()  // the pump may be sleeping out its flush interval
            await room.wait(timeout: .milliseconds(100))
        }
    }

    /// Whether the manager asked for this task to be cancelled (seen on a log acknowledgement or heartbeat).
    public var cancelRequested: Bool { state.withLock { $0.cancelRequested } }

    func requestCancel() { state.withLock { $0.cancelRequested = true } }

    /// Takes the buffered lines.
    func drain() -> [LogLine] {
        let lines: [LogLine] = state.withLock { s in
            let p = s.pending
            s.pending = []
            return p
        }
        if !lines.isEmpty { room.signal() }
        return lines
    }

    /// No more lines will be written; the pump finishes once everything is shipped.
    func close() {
        state.withLock { s in
            // A task that ended while the spool was full still says what it lost (one line over the cap).
            if s.dropped > 0 {
                gate.force(1)
                appendDropNotice(&s, now: Date(), unit: "Result")
            }
            s.closed = true
        }
        wakeup.signal()
    }

    var isClosed: Bool { state.withLock { $0.closed } }
    var lastSeq: Int64 { state.withLock { $0.nextSeq - 1 } }

    /// Waits for new lines or `close`, or at most `timeout`.
    func waitForLines(timeout: Duration) async {
        await wakeup.wait(timeout: timeout)
    }
}

/// The manager-tuned batching settings.
public struct ShippingSettings: Sendable {
    public var flushInterval: Duration = .milliseconds(200)
    public var maxLines = 2000
    public var maxBytes = 1 << 20
    /// Creates the defaults.
    public init() {}
}

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

/// Spools a task's lines and ships them until the manager holds every one.
struct LogPump: Sendable {
    let log: TaskLog
    let store: DelegateStore
    let client: ManagerClient
    let settings: @Sendable () -> ShippingSettings
    let logger: Logger
    let metrics: DelegateMetrics
    let gate: SpoolGate

    /// Runs until the log is closed and every line is acknowledged (or the lease is gone).
    func run(ackedFrom: Int64 = 0) async {
        var acked = ackedFrom
        var failures = 0
        while true {
            let lines = log.drain()
            if !lines.isEmpty {
                do {
                    try store.spool(taskId: log.taskId, lines: lines)
                    metrics.spooled(lines.count)
                } catch {
                    logger.error("cannot spool log lines; retrying", metadata: ["task": "\(log.taskId)", "error": "\(error)"])
                    // Put nothing back: without the spool we cannot promise delivery; keep going with the next lines.
                }
            }
            let tuning = settings()
            var shippedAll = true
            do {
                let batch = try store.unshipped(taskId: log.taskId, after: acked, limit: tuning.maxLines, maxBytes: tuning.maxBytes)
                if !batch.isEmpty {
                    shippedAll = false
                    let ack = try await client.sendLogs(taskId: log.taskId, LogBatch(leaseId: log.leaseId, lines: batch))
                    if ack.cancel { log.requestCancel() }
                    if ack.ackedThroughSeq > acked {
                        let n = Int(ack.ackedThroughSeq - acked)
                        metrics.shipped(n)
                        gate.release(n)
                        acked = ack.ackedThroughSeq
                        try store.acknowledge(taskId: log.taskId, through: acked)
                        failures = 0
                        continue
                    }
                    // The manager stored nothing new: it holds a different history than our spool.
                    // Back off instead of resending in a tight loop.
                    throw ManagerClientError.badResponse("log batch from seq \(batch.first?.seq ?? 0) not acknowledged (manager acked through \(ack.ackedThroughSeq))")
                }
            } catch let e as ManagerClientError where e.status == 409 || e.status == 404 {
                logger.error("manager refused the task's logs; dropping them", metadata: ["task": "\(log.taskId)", "error": "\(e)"])
                let unacked = max(0, Int(log.lastSeq - acked))
                gate.release(unacked)
                try? store.acknowledge(taskId: log.taskId, through: max(acked, log.lastSeq))
                return
            } catch let e as ManagerClientError where e.status == 401 {
                // The token is revoked or wrong: retrying cannot help, and the agent is stopping (DelegateAgent.tokenRefused).
                logger.error("manager refused the token; the task's unshipped lines stay in the spool", metadata: ["task": "\(log.taskId)", "error": "\(e)"])
                return
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let delay = backoff(attempt: failures, base: .milliseconds(200), cap: .seconds(10))
                logger.warning("shipping logs failed; will retry", metadata: ["task": "\(log.taskId)", "error": "\(error)", "retryInMs": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)"])
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return }
                continue
            }
            if shippedAll && log.isClosed && acked >= log.lastSeq {
                return
            }
            await log.waitForLines(timeout: tuning.flushInterval)
            if Task.isCancelled { return }
        }
    }
}

/// Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^attempt)].
func backoff(attempt: Int, base: Duration, cap: Duration) -> Duration {
    let exp = base * (1 << min(attempt, 20))
    let ceiling = min(exp, cap)
    let ms = max(1, Int(ceiling.components.seconds * 1000 + ceiling.components.attoseconds / 1_000_000_000_000_000))
    return .milliseconds(Int.random(in: ms / 2...ms))
}
