import DelegateProtocol
import Foundation
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
