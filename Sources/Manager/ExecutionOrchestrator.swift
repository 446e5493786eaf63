import DelegateProtocol
import Foundation
import Logging
import Pipelines
import ServiceLifecycle
import Synchronization

/// Drives executions: submits each step's task, records how it ended, runs the rollbacks; resumes after a restart.
///
/// Like the lease sweeper, a service of the manager. It wakes when a task ends
/// (`wakeKey`) or every second, and advances every execution still running
/// through its `ExecutionEngine`, saving the engine after every change.
struct ExecutionOrchestrator: Service {
    let context: ManagerContext
    let executions: any ExecutionRepository
    let gate: ExecutionGate

    /// The notifier key that wakes the orchestrator (a task ended, an execution started or was cancelled).
    static let wakeKey = "executions"

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            let ticket = context.notifier.arm(key: Self.wakeKey)
            // One execution that cannot be driven (a row that no longer decodes) must not stall the others.
            for id in (try? executions.activeExecutionIds()) ?? [] {
                do {
                    try drive(id)
                } catch {
                    context.logger.error("driving an execution failed", metadata: ["execution": "\(id)", "error": "\(error)"])
                }
            }
            _ = await ticket.wait(timeout: .seconds(1))
            ticket.cancel()
        }
    }

    /// Advances one execution as far as it can go now.
    func drive(_ id: String) throws {
        try gate.withExecution(id, in: executions) { engine in
            var changed = false
            for _ in 0..<64 {
                switch engine.next() {
                case .submit(let s):
                    let request = SubmitTaskRequest(type: s.type, selectors: [], payload: s.payload, timeoutSeconds: s.timeoutSeconds, executionId: id)
                    do {
                        let report = try context.dispatcher.submit(TaskSubmission(request, connectorName: engine.plan.connector, artifactConnectorName: engine.plan.artifactConnector))
                        engine.started(key: s.key, taskId: report.taskId)
                        context.logger.info("execution step submitted", metadata: ["execution": "\(id)", "step": "\(s.name)", "task": "\(report.taskId)"])
                        context.wakePollers()
                    } catch {
                        engine.started(key: s.key, taskId: "")
                        let why = (error as? APIError)?.message ?? "\(error)"
                        engine.finished(key: s.key, .init(status: .failed, error: "the manager could not submit \(s.name): \(why)"))
                    }
                    // Saved at once: a restarted manager must know the task exists (and nothing is left to save).
                    try executions.saveExecution(id: id, engine: engine, now: Date())
                    changed = false
                case .wait:
                    guard let run = engine.runs.last, let taskId = run.taskId else { return changed }
                    guard let task = try context.repository.task(taskId) else {
                        // The task row is gone (a database restored from an older backup): the step cannot end otherwise.
                        engine.finished(key: run.key, .init(status: .failed, error: "task \(taskId) of \(run.name) no longer exists in the manager"))
                        changed = true
                        continue
                    }
                    guard let status = TaskStatus(rawValue: task.info.state) else { return changed }
                    engine.finished(key: run.key, .init(
                        status: status, outputs: task.info.outputs ?? [:], rollbackSnapshot: task.info.rollbackSnapshot,
                        error: task.info.error.map { "\($0.code): \($0.message)" }))
                    changed = true
                case .done(let phase):
                    if changed { context.logger.info("execution finished", metadata: ["execution": "\(id)", "phase": "\(phase.rawValue)"]) }
                    return changed
                }
            }
            return changed
        }
    }
}

/// Serialises changes to one execution (the orchestrator, cancel and rollback requests) in this process, and across replicas
/// through the repository's execution lock (an advisory lock on PostgreSQL).
final class ExecutionGate: Sendable {
    private let lock = Mutex(())

    /// Loads the execution, lets `body` change its engine, and saves it when `body` returns true.
    func withExecution(_ id: String, in executions: any ExecutionRepository, _ body: (inout ExecutionEngine) throws -> Bool) throws {
        try lock.withLock { _ in
            try executions.withExecutionLock(id) {
                guard var stored = try executions.execution(id) else { return }
                if try body(&stored.engine) {
                    try executions.saveExecution(id: id, engine: stored.engine, now: Date())
                }
            }
        }
    }
}
