import DelegateProtocol
import Foundation
import ManagerClient
import Timing

/// Delivery: sending a task's result until the manager acknowledges it, and the log pump that ships a task's lines.
extension DelegateAgent {
    /// Sends a result until the manager acknowledges it (or refuses it for good).
    func deliver(taskId: String, result: TaskResult) async {
        var attempt = 0
        while true {
            do {
                try await client.sendResult(taskId: taskId, result)
                try? store.markDelivered(taskId: taskId)
                return
            } catch let e as ManagerClientError where !e.isRetryable {
                logger.error("manager refused the result; giving up on it", metadata: ["task": "\(taskId)", "error": "\(e)"])
                try? store.markDelivered(taskId: taskId)
                return
            } catch {
                attempt += 1
                let delay = Backoff(base: .milliseconds(250), cap: .seconds(30)).equalJitterDelay(attempt: attempt)
                noteFailure("delivering a result failed", error: error, retryIn: delay)
                if attempt >= 5 && state.withLock({ $0.draining }) {
                    logger.warning("shutting down: the result stays in the state database and is sent on the next start", metadata: ["task": "\(taskId)"])
                    return
                }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// The pump that spools `log`'s lines and ships them, with the shipping settings the manager tuned.
    func pump(_ log: TaskLog) -> LogPump {
        LogPump(log: log, store: store, client: client, settings: { [weak self] in self?.shipping ?? ShippingSettings() }, logger: logger, metrics: metrics, gate: gate)
    }
}
