import DelegateProtocol
import Logging
import ManagerClient
import Timing

/// The manager-tuned batching settings.
public struct ShippingSettings: Sendable {
    public var flushInterval: Duration = .milliseconds(200)
    public var maxLines = 2000
    public var maxBytes = 1 << 20
    /// Creates the defaults.
    public init() {}
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
                let delay = Backoff(base: .milliseconds(200), cap: .seconds(10)).equalJitterDelay(attempt: failures)
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
