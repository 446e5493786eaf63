import DelegateProtocol
import Foundation
import Logging
import ManagerAPI
import Pipelines
import ServiceLifecycle
import Synchronization

/// Drives executions: submits each step's task, records how it ended, runs the rollbacks; resumes after a restart.
///
/// Like the lease sweeper, a service of the manager. It wakes when a task ends
/// or an execution starts or is cancelled (`wakeKey`, from any replica), and
/// then advances every execution still running through its `ExecutionEngine`,
/// saving the engine after every change. Without a wake-up it looks again only
/// every `quietSweep`: executions whose steps are running are not loaded and
/// decoded every second.
package struct ExecutionOrchestrator: Service {
    /// Where the steps' tasks are read from.
    let tasks: any TaskRepository
    /// Submits the steps' tasks.
    let dispatcher: TaskDispatcher
    /// Wakes the orchestrator, and the long polls when a step is queued.
    let notifier: any WakeupBus
    let logger: Logger
    let executions: any ExecutionRepository
    let gate: ExecutionGate
    /// Where an approval decided by its deadline is recorded, as a person's decision is (nil: not recorded).
    let audit: (any AccessRepository)?
    /// Told when an execution starts, waits for an approval or finishes, in this order (the notification outbox, metrics), before the change is saved.
    let observers: [any ExecutionObserver]
    /// The earliest time a held execution is due again (a gate's deadline, a retry).
    let wakeups = WakeupSchedule()

    /// An orchestrator over these parts.
    package init(
        tasks: any TaskRepository, dispatcher: TaskDispatcher, notifier: any WakeupBus, logger: Logger, executions: any ExecutionRepository, gate: ExecutionGate,
        audit: (any AccessRepository)? = nil, observers: [any ExecutionObserver] = []
    ) {
        self.audit = audit
        self.observers = observers
        self.tasks = tasks
        self.dispatcher = dispatcher
        self.notifier = notifier
        self.logger = logger
        self.executions = executions
        self.gate = gate
    }

    /// The notifier key that wakes the orchestrator (a task ended, an execution started or was cancelled).
    package static let wakeKey = "executions"
    /// How soon a sweep that skipped an execution (another replica held it) is followed by another.
    static let skippedRetry: Duration = .milliseconds(250)
    /// How often executions are looked at when nothing woke the orchestrator (a wake-up lost while a replica's listener was down).
    static let quietSweep: Duration = .seconds(10)

    package func run() async throws {
        var due = true
        var lastSweep = ContinuousClock.now
        while !Task.isCancelledOrShuttingDown {
            let ticket = notifier.arm(key: Self.wakeKey)
            var skipped = false
            if due || wakeups.takeDue(now: Date()) || ContinuousClock.now - lastSweep >= Self.quietSweep {
                lastSweep = ContinuousClock.now
                skipped = await sweep()
            }
            // An execution another replica was changing is looked at again shortly: that replica may have read its task before it ended.
            due = await ticket.wait(timeout: skipped ? Self.skippedRetry : .seconds(1)) || skipped
            ticket.cancel()
        }
    }

    /// How many executions one sweep drives at a time: an execution waiting for its lock (another replica drives it) or for the database does not hold up the rest. On PostgreSQL each holds a pooled connection for its lock (`--database-connections`, default 24), so the bound leaves most of the pool to requests.
    static let parallelDrives = 8

    /// Drives every execution still running, `parallelDrives` at a time; one that cannot be driven (a row that no longer decodes) does not stall the others.
    ///
    /// Returns whether an execution was skipped because another replica was changing it (the caller sweeps again soon).
    @discardableResult
    func sweep() async -> Bool {
        let ids = await (try? executions.activeExecutionIds()) ?? []
        return await withTaskGroup(of: Bool.self) { group in
            var pending = ids.makeIterator()
            var skipped = false
            for _ in 0..<Self.parallelDrives {
                guard let id = pending.next() else { break }
                group.addTask { await driveReportingFailure(id) }
            }
            while let driven = await group.next() {
                skipped = skipped || !driven
                if let id = pending.next() { group.addTask { await driveReportingFailure(id) } }
            }
            return skipped
        }
    }

    /// Drives one execution unless another replica is changing it, logging (not throwing) what stops it; false when it was skipped.
    private func driveReportingFailure(_ id: String) async -> Bool {
        do {
            return try await drive(id, ifFree: true)
        } catch {
            logger.error("driving an execution failed", metadata: ["execution": "\(id)", "error": "\(error)"])
            return true
        }
    }

    /// Advances one execution as far as it can go now; with `ifFree`, only if no other replica is changing it (false when skipped).
    @discardableResult
    func drive(_ id: String, ifFree: Bool = false) async throws -> Bool {
        try await gate.withExecution(id, in: executions, ifFree: ifFree) { engine in
            var changed = false
            // When the step before the next submission ended (read from its task), for the dispatch latency.
            var previousEnded: Date?
            // The end is reported once, before the save that records it (observers key what they keep, so a repeat after a crash is harmless).
            var endReported = engine.phase.isOver
            func reportEnd() async throws {
                guard !endReported, engine.phase.isOver else { return }
                endReported = true
                logger.info("execution finished", metadata: ["execution": "\(id)", "phase": "\(engine.phase.rawValue)"])
                for o in observers { try await o.executionFinished(id: id, engine: engine, phase: engine.phase) }
            }
            for _ in 0..<64 {
                switch engine.next() {
                case .submit(let s) where s.problem != nil:
                    engine.started(key: s.key, taskId: "")
                    engine.finished(key: s.key, .init(status: .failed, error: "\(s.name) cannot start: \(s.problem ?? "")"))
                    try await reportEnd()
                    try await executions.saveExecution(id: id, engine: engine, now: Date())
                    changed = false
                case .submit(let s):
                    if engine.runs.isEmpty {
                        for o in observers { try await o.executionStarted(id: id, engine: engine) }
                    }
                    let request = SubmitTaskRequest(type: s.type.rawValue, selectors: [], payload: s.payload, timeoutSeconds: s.timeoutSeconds, executionId: id)
                    // The same id if this manager dies before the save below: the step's task is queued once.
                    let taskId = TaskIdentifier.forStep(execution: id, ordinal: engine.runs.count, key: s.key)
                    do {
                        let report = try await dispatcher.submit(
                            TaskSubmission(request, connectorName: engine.plan.connector, artifactConnectorName: engine.plan.artifactConnector), idempotentId: taskId)
                        CrashPoint.stepSubmitted()
                        engine.started(key: s.key, taskId: report.taskId)
                        if let previousEnded {
                            for o in observers { await o.stepSubmitted(id: id, type: s.type.rawValue, waited: max(0, Date().timeIntervalSince(previousEnded))) }
                        }
                        logger.info("execution step submitted", metadata: ["execution": "\(id)", "step": "\(s.name)", "task": "\(report.taskId)"])
                        notifier.notifyAllDelegates()
                    } catch {
                        engine.started(key: s.key, taskId: "")
                        let why = (error as? APIError)?.message ?? "\(error)"
                        engine.finished(key: s.key, .init(status: .failed, error: "the manager could not submit \(s.name): \(why)"))
                    }
                    // Saved at once: a restarted manager must know the task exists (and nothing is left to save).
                    try await reportEnd()
                    try await executions.saveExecution(id: id, engine: engine, now: Date())
                    changed = false
                case .wait:
                    guard let run = engine.runs.last, let taskId = run.taskId else { return changed }
                    guard let task = try await tasks.task(taskId) else {
                        // The task row is gone (a database restored from an older backup): the step cannot end otherwise.
                        engine.finished(key: run.key, .init(status: .failed, error: "task \(taskId) of \(run.name) no longer exists in the manager"))
                        changed = true
                        continue
                    }
                    guard let status = TaskStatus(rawValue: task.info.state) else { return changed }
                    previousEnded = task.info.finishedAt
                    engine.finished(key: run.key, .init(
                        status: status, outputs: task.info.outputs ?? [:], rollbackSnapshot: task.info.rollbackSnapshot,
                        error: task.info.error.map { "\($0.code): \($0.message)" }))
                    changed = true
                case .gate(let key):
                    let before = engine.runs.count
                    if before == 0 {
                        for o in observers { try await o.executionStarted(id: id, engine: engine) }
                    }
                    let approval = engine.openApproval
                    engine.advanceGate(key: key, now: Date())
                    if engine.runs.count > before, let gate = engine.runs.last?.gate {
                        logger.info("execution held at a gate", metadata: ["execution": "\(id)", "step": "\(engine.runs.last?.name ?? key)", "gate": "\(gate.kind.rawValue)", "deadline": "\(gate.deadline)"])
                        if gate.kind == .approval {
                            for o in observers { try await o.executionWaiting(id: id, engine: engine) }
                        }
                    } else if let i = approval, let decision = engine.runs[i].gate?.decision {
                        await recordTimeout(decision, execution: id)
                    }
                    changed = true
                case .waitUntil(let when):
                    // A failed step is retried, or a gate holds, until then: the run loop sweeps again at that time.
                    wakeups.schedule(when)
                    return changed
                case .done:
                    try await reportEnd()
                    return changed
                }
            }
            return changed
        }
    }
}

extension ExecutionOrchestrator {
    /// Records an approval its deadline decided in the audit trail (actor `timeout`), beside the decisions people make.
    func recordTimeout(_ decision: GateDecision, execution id: String) async {
        logger.info("an approval timed out", metadata: ["execution": "\(id)", "approved": "\(decision.approved)"])
        let entry = AuditEntry(
            time: decision.at, actor: decision.by, action: decision.approved ? AuditAction.executionApprove : AuditAction.executionReject, target: id,
            detail: "nobody decided before the deadline")
        do {
            try await audit?.recordAudit(entry)
        } catch {
            logger.error("cannot write the audit trail", metadata: ["action": "\(entry.action)", "target": "\(id)", "error": "\(error)"])
        }
    }
}

/// Serialises changes to one execution (the orchestrator, cancel and rollback requests): per execution in this process, without blocking a thread,
/// and across replicas through the repository's execution lock (an advisory lock on PostgreSQL).
///
/// Changes to different executions never wait for each other; a waiter for
/// a busy execution suspends (first come, first served) instead of holding a
/// thread or a process-wide lock.
package final class ExecutionGate: Sendable {
    /// The executions being changed, each with the callers waiting for it.
    private let held = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// A gate with no execution held.
    package init() {}

    /// Loads the execution, lets `body` change its engine, and saves it when `body` returns true.
    ///
    /// With `ifFree`, an execution another manager process is changing is left
    /// to it: nothing runs and false is returned (the orchestrator's sweeps).
    @discardableResult
    package func withExecution(_ id: String, in executions: any ExecutionRepository, ifFree: Bool = false, _ body: (inout ExecutionEngine) async throws -> Bool) async throws -> Bool {
        await acquire(id)
        defer { release(id) }
        let change: () async throws -> Void = {
            guard var stored = try await executions.execution(id) else { return }
            if try await body(&stored.engine) {
                try await executions.saveExecution(id: id, engine: stored.engine, now: Date())
            }
        }
        if ifFree { return try await executions.withExecutionLockIfFree(id, change) != nil }
        try await executions.withExecutionLock(id, change)
        return true
    }

    /// Waits until no other caller of this process changes execution `id`, then holds it.
    private func acquire(_ id: String) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = held.withLock { h in
                if h[id] == nil {
                    h[id] = []
                    return true
                }
                h[id, default: []].append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Hands execution `id` to its next waiter, or lets it go.
    private func release(_ id: String) {
        let next: CheckedContinuation<Void, Never>? = held.withLock { h in
            guard var waiters = h[id], !waiters.isEmpty else {
                h[id] = nil
                return nil
            }
            let first = waiters.removeFirst()
            h[id] = waiters
            return first
        }
        next?.resume()
    }
}
