import DelegateProtocol
import Foundation
import ManagerClient
import Timing

/// Registration: the agent's identity with the manager, the tuning the manager answers with, and what happens when the manager refuses the token.
extension DelegateAgent {
    /// Registers, retrying with backoff and jitter until the manager answers; false if shut down first.
    func register(instanceId: String) async -> Bool {
        var attempt = 0
        // Tasks this instance began and must still report: the manager leaves those leased to us,
        // and puts back in the queue anything else it had handed the previous process.
        let held = ((try? store.tasksWithSpool().map(\.taskId)) ?? []) + ((try? store.undeliveredResults().map(\.taskId)) ?? [])
        let request = RegisterRequest(
            name: config.name, hostname: ProcessInfo.processInfo.hostName, version: delegateVersion, tags: config.tags,
            capacity: config.capacity, taskTypes: handlers.keys.sorted(), instanceId: instanceId,
            heldTaskIds: Array(Set(held)).sorted())
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let (r, adjusted) = ManagerTuning.clamp(try await client.register(request))
                if !adjusted.isEmpty {
                    logger.warning("the manager's tuning is out of range; using the nearest safe values", metadata: ["adjusted": "\(adjusted.joined(separator: ", "))"])
                }
                state.withLock {
                    $0.registration = r
                    $0.connected = true
                    $0.lastError = nil
                }
                logger.info("registered", metadata: ["delegateId": "\(r.delegateId)", "manager": "\(client.baseURL)", "tags": "\(config.tags)"])
                return true
            } catch let e as ManagerClientError where e.status == 401 || e.status == 403 {
                // Retrying cannot help: the token is unknown or revoked, or may not register like this.
                tokenRefused(e, during: "registration")
                return false
            } catch {
                attempt += 1
                let delay = Backoff(base: .milliseconds(250), cap: .seconds(30)).equalJitterDelay(attempt: attempt)
                noteFailure("registration failed", error: error, retryIn: delay)
                try? await Task.sleep(for: delay)
            }
        }
        return false
    }

    /// The manager's answer to the registration (ids and tuning), or nil before it.
    var tuning: RegisterResponse? { state.withLock { $0.registration } }

    /// Settings for log shipping, as the manager tuned them.
    var shipping: ShippingSettings {
        var s = ShippingSettings()
        if let r = tuning {
            s.flushInterval = .milliseconds(max(10, r.logFlushMillis))
            s.maxLines = max(1, r.logBatchMaxLines)
            s.maxBytes = max(1024, r.logBatchMaxBytes)
        }
        return s
    }

    /// The manager refused the token (revoked, unknown, or not allowed to register so): stop taking tasks, cancel running ones, say why.
    ///
    /// The manager has already failed the tasks this delegate was running (their
    /// results could not be delivered with the refused token anyway); the process
    /// then drains and exits with the reason (`ManagerRefusedToken`).
    func tokenRefused(_ error: ManagerClientError, during what: String) {
        let why = masker.apply("\(what): \(error)")
        let first = state.withLock { s -> Bool in
            guard s.refused == nil else { return false }
            s.refused = why
            s.draining = true
            s.connected = false
            s.lastError = "the manager refused this delegate's token (\(why))"
            return true
        }
        guard first else { return }
        logger.error(
            "the manager refused this delegate's token: not taking tasks any more; running tasks are cancelled (the manager reports them failed). Give the delegate a valid token (token_file) and start it again",
            metadata: ["reason": "\(why)", "running": "\(runningCount)"])
        notify("STATUS=stopped: the manager refused the token")
        cancelRunningTasks()
        capacityFreed.signal()
    }
}
