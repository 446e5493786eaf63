import DelegateProtocol
import Foundation

/// Recovery after a crash or restart: tasks that were running are reported failed, and leftover logs and results are sent.
extension DelegateAgent {
    /// Marks tasks that were running when the process died as failed (never re-run).
    func recoverInterrupted() throws {
        for (taskId, leaseId) in try store.interruptedTasks() {
            let last = try store.lastSeq(taskId: taskId)
            let message = "the delegate restarted while the task was running"
            let line = LogLine(seq: last + 1, time: Date(), level: "error", unit: "Result", text: message)
            try store.spool(taskId: taskId, lines: [line])
            try store.finish(taskId: taskId, result: TaskResult(
                leaseId: leaseId, status: .failed, error: TaskError(code: "interrupted", message: message)))
            logger.warning("task was running when the delegate stopped; reporting it failed", metadata: ["task": "\(taskId)"])
        }
    }

    /// Ships spooled lines and undelivered results left by an earlier run.
    func redeliverLeftovers() async {
        do {
            for entry in try store.tasksWithSpool() {
                let log = TaskLog(taskId: entry.taskId, leaseId: entry.leaseId, masker: SecretMasker(secrets: []), gate: gate, firstSeq: entry.lastSeq + 1)
                log.close()
                await pump(log).run(ackedFrom: entry.acked)
            }
            for (taskId, result) in try store.undeliveredResults() {
                await deliver(taskId: taskId, result: result)
            }
        } catch {
            logger.error("cannot read leftovers from the state database: \(error)")
        }
    }
}
