import DelegateProtocol
import Foundation
import ManagerClient

/// Heartbeats: the agent reports its running tasks and state, and hears which tasks the manager cancelled.
extension DelegateAgent {
    /// Sends a heartbeat every `heartbeatSeconds` (as the manager tuned it, with 10% jitter) until cancelled.
    func heartbeatLoop(instanceId: String) async {
        while !Task.isCancelled {
            let interval = tuning?.heartbeatSeconds ?? 10
            let jittered = interval * Double.random(in: 0.9...1.1)
            try? await Task.sleep(for: .seconds(clamping: jittered, to: ManagerTuning.heartbeatSeconds))
            if Task.isCancelled { return }
            await sendHeartbeat(instanceId: instanceId)
        }
    }

    /// Reports the running tasks and whether the agent drains; cancels the tasks the manager names, and registers again when the manager does not know this delegate.
    func sendHeartbeat(instanceId: String) async {
        guard let id = tuning?.delegateId else { return }
        let (running, draining) = state.withLock { s in
            (s.running.map { RunningTask(taskId: $0.key, leaseId: $0.value.leaseId) }.sorted { $0.taskId < $1.taskId }, s.draining)
        }
        let hb = HeartbeatRequest(running: running, freeCapacity: max(0, config.capacity - running.count), status: draining ? "draining" : "active")
        do {
            let answer = try await client.heartbeat(delegateId: id, hb)
            state.withLock {
                $0.lastHeartbeatOK = Date()
                $0.connected = true
                $0.heartbeatFailures = 0
            }
            notify("WATCHDOG=1")
            for taskId in answer.cancel {
                let entry = state.withLock { $0.running[taskId] }
                if let entry {
                    logger.info("manager cancelled task", metadata: ["task": "\(taskId)"])
                    entry.log.requestCancel()
                    entry.task?.cancel()
                }
            }
        } catch let e as ManagerClientError where e.status == 404 {
            logger.warning("manager does not know this delegate; registering again")
            _ = await register(instanceId: instanceId)
        } catch let e as ManagerClientError where e.status == 401 {
            tokenRefused(e, during: "heartbeat")
        } catch {
            state.withLock { $0.heartbeatFailures += 1 }
            metrics.heartbeatFailed()
            noteFailure("heartbeat failed", error: error, retryIn: .seconds(clamping: tuning?.heartbeatSeconds ?? 10, to: ManagerTuning.heartbeatSeconds))
        }
    }
}
