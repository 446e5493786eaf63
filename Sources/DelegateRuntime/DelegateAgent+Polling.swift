import DelegateProtocol
import Foundation
import ManagerClient
import Timing

/// Polling: the long poll that asks the manager for the next task while the agent has capacity.
extension DelegateAgent {
    /// Long-polls for tasks while there is capacity, until the agent drains, is cancelled or is refused; backs off after failures.
    func pollLoop(instanceId: String) async {
        var failures = 0
        while !Task.isCancelled {
            if state.withLock({ $0.draining }) { return }
            if runningCount >= config.capacity {
                await capacityFreed.wait(timeout: .seconds(5))
                continue
            }
            guard let r = tuning else { return }
            do {
                let asked = ContinuousClock.now
                let envelope = try await client.nextTask(delegateId: r.delegateId, wait: r.pollWaitSeconds)
                failures = 0
                state.withLock {
                    $0.connected = true
                    $0.lastError = nil
                }
                if let envelope {
                    start(envelope)
                } else if ContinuousClock.now - asked < .milliseconds(100) {
                    // An empty answer long before the wait was up (a manager shutting down): do not spin.
                    try? await Task.sleep(for: .milliseconds(250))
                }
            } catch is CancellationError {
                return
            } catch let e as ManagerClientError where e.status == 404 {
                logger.warning("manager does not know this delegate; registering again")
                _ = await register(instanceId: instanceId)
            } catch let e as ManagerClientError where e.status == 401 {
                tokenRefused(e, during: "polling for tasks")
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = Backoff(base: .milliseconds(250), cap: .seconds(30)).equalJitterDelay(attempt: failures)
                noteFailure("polling for tasks failed", error: error, retryIn: delay)
                try? await Task.sleep(for: delay)
            }
        }
    }
}
