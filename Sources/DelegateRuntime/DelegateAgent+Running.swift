import DelegateProtocol
import Foundation

/// Running tasks: starting a leased task, checking it may run here, running its handler under its timeout, and cancelling what runs.
extension DelegateAgent {
    /// Starts a leased task (or rejects it) without blocking the poll loop.
    func start(_ envelope: TaskEnvelope) {
        let secrets = SecretMasker(secrets: Array(envelope.secrets.values) + globalSecrets + connectorSecrets(envelope.connector))
        let log = TaskLog(taskId: envelope.taskId, leaseId: envelope.leaseId, masker: secrets, gate: gate)
        state.withLock { $0.running[envelope.taskId] = RunningEntry(leaseId: envelope.leaseId, type: envelope.type, log: log, task: nil, startedAt: Date()) }
        let task = Task {
            await self.execute(envelope, log: log)
            self.state.withLock { s in
                _ = s.running.removeValue(forKey: envelope.taskId)
            }
            self.capacityFreed.signal()
        }
        state.withLock { $0.running[envelope.taskId]?.task = task }
    }

    /// Journals the task, checks it may run here (selectors, timeout, type), runs it, then journals and delivers its result.
    func execute(_ envelope: TaskEnvelope, log: TaskLog) async {
        do {
            try store.begin(envelope)
        } catch {
            logger.error("cannot write the task journal", metadata: ["task": "\(envelope.taskId)", "error": "\(error)"])
        }
        let result: TaskResult
        if !Selectors.satisfied(envelope.selectors, by: config.tags) {
            result = TaskResult(leaseId: envelope.leaseId, status: .rejected, error: TaskError(
                code: "selectors_not_satisfied",
                message: "delegate \(config.name) has tags \(config.tags) but the task requires \(envelope.selectors) (missing \(Selectors.missing(envelope.selectors, from: config.tags)))"))
        } else if !TaskEnvelope.timeoutRange.contains(envelope.timeoutSeconds) {
            result = TaskResult(leaseId: envelope.leaseId, status: .rejected, error: TaskError(
                code: "invalid_task", message: "timeoutSeconds must be from \(TaskEnvelope.timeoutRange.lowerBound) to \(TaskEnvelope.timeoutRange.upperBound), got \(envelope.timeoutSeconds)"))
        } else if handlers[envelope.type] == nil {
            result = TaskResult(leaseId: envelope.leaseId, status: .rejected, error: TaskError(
                code: "unknown_task_type", message: "delegate \(config.name) cannot run task type '\(envelope.type)' (it runs: \(handlers.keys.sorted().joined(separator: ", ")))"))
        } else {
            result = await runHandler(envelope, log: log)
        }
        log.close()
        if result.status == .rejected {
            logger.warning("task rejected", metadata: ["task": "\(envelope.taskId)", "reason": "\(result.error?.message ?? "")"])
        }
        do {
            try store.finish(taskId: envelope.taskId, result: result)
        } catch {
            logger.error("cannot journal the result; sending it anyway", metadata: ["task": "\(envelope.taskId)", "error": "\(error)"])
        }
        // Delivered outside the task's cancellation: a cancelled task still reports that it was cancelled.
        await Task { await self.deliver(taskId: envelope.taskId, result: result) }.value
        let started = state.withLock { $0.running[envelope.taskId]?.startedAt } ?? Date()
        metrics.taskFinished(type: envelope.type, outcome: result.status.rawValue, duration: .milliseconds(Int(Date().timeIntervalSince(started) * 1000)))
    }

    /// Runs the task's handler under its timeout while its log is pumped; turns how it ended into a result.
    private func runHandler(_ envelope: TaskEnvelope, log: TaskLog) async -> TaskResult {
        guard let handler = handlers[envelope.type] else {
            return TaskResult(leaseId: envelope.leaseId, status: .rejected)
        }
        logger.info("task started", metadata: ["task": "\(envelope.taskId)", "type": "\(envelope.type)"])
        let pump = Task { await self.pump(log).run() }
        let context = TaskContext(envelope: envelope, log: log, logger: logger)
        let outcome = await TaskTimeout.run(seconds: envelope.timeoutSeconds) { try await handler.run(context) }
        let result: TaskResult
        switch outcome {
        case .success(let o):
            result = TaskResult(leaseId: envelope.leaseId, status: .succeeded, outputs: o.outputs, rollbackSnapshot: o.rollbackSnapshot)
        case .failure(let f as TaskFailure):
            log.log(f.error.message, level: f.status == .cancelled ? "warn" : "error", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: f.status, outputs: f.outputs, error: f.error, rollbackSnapshot: f.rollbackSnapshot)
        case .failure(let e as TaskError):
            log.log(e.message, level: "error", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: .failed, error: e)
        case .failure(is CancellationError):
            log.log("Task cancelled", level: "warn", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: .cancelled, error: TaskError(code: "cancelled", message: "the task was cancelled"))
        case .failure(let e):
            let message = masker.apply("\(e)")
            log.log(message, level: "error", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: .failed, error: TaskError(code: "internal", message: message))
        }
        log.close()
        await pump.value
        logger.info("task finished", metadata: ["task": "\(envelope.taskId)", "status": "\(result.status.rawValue)"])
        return result
    }

    /// Cancels every running task now (a second SIGTERM): each reports `cancelled` with what it logged.
    public func cancelRunningTasks() {
        let tasks = state.withLock { s in s.running.values.compactMap(\.task) }
        if !tasks.isEmpty { logger.warning("cancelling running tasks", metadata: ["running": "\(tasks.count)"]) }
        for t in tasks { t.cancel() }
    }
}

/// Secret-looking values in a connector (secret keys, session tokens, passwords), for masking.
func connectorSecrets(_ v: JSONValue?) -> [String] {
    guard let v else { return [] }
    switch v {
    case .object(let o):
        return o.flatMap { k, v -> [String] in
            let key = k.lowercased()
            if (key.contains("secret") || key.contains("token") || key.contains("password")), let s = v.stringValue { return [s] }
            return connectorSecrets(v)
        }
    case .array(let a): return a.flatMap(connectorSecrets)
    default: return []
    }
}
