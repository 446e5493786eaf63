import DelegateProtocol
import Foundation
import StepContracts

/// The pure core of an execution: plan and task results in, the next task to submit (or the end) out.
///
/// Forward steps run in order, each with the outputs of the steps before it
/// merged under its own payload. When one fails or is cancelled, the rollbacks
/// of the steps that ran (the failed one included) run in reverse order, once
/// per rollback group, each given its forward task's outputs and rollback
/// snapshot. A step that changed nothing (no snapshot) needs no rollback. A
/// step's `onFailure` may instead stop the execution as it is, carry on, or
/// submit the step again after a pause (`FailureStrategy`). The state is
/// `Codable`: a manager stores it and a restarted one resumes it.
public struct ExecutionEngine: Codable, Sendable, Equatable {
    /// Where the execution is.
    public enum Phase: String, Codable, Sendable {
        case deploying, rollingBack, succeeded, rolledBack, rollbackFailed
        /// A step failed with `onFailure: abort`: stopped, nothing rolled back.
        case aborted
        /// Deploying, held at a gate (an approval or a wait). Reports say it; the engine's own phase stays `deploying`.
        case waiting

        /// Whether the execution has ended (it is neither deploying, waiting nor rolling back).
        public var isOver: Bool { self != .deploying && self != .rollingBack && self != .waiting }
    }

    /// How a task ended, as the engine needs it.
    public struct TaskOutcome: Codable, Sendable, Equatable {
        public var status: TaskStatus
        public var outputs: [String: JSONValue]
        public var rollbackSnapshot: JSONValue?
        public var error: String?

        /// Creates an outcome.
        public init(status: TaskStatus, outputs: [String: JSONValue] = [:], rollbackSnapshot: JSONValue? = nil, error: String? = nil) {
            self.status = status
            self.outputs = outputs
            self.rollbackSnapshot = rollbackSnapshot
            self.error = error
        }
    }

    /// One task the engine ran or will run.
    public struct Run: Codable, Sendable, Equatable {
        /// `step:ID` or `rollback:ID`.
        public var key: String
        public var name: String
        public var type: TaskType
        public var taskId: String?
        public var outcome: TaskOutcome?
        /// The gate, for a step that runs on the manager (approval, wait): it has no task.
        public var gate: GateState?
    }

    /// A task to submit.
    public struct Submission: Sendable, Equatable {
        public var key: String
        public var name: String
        public var type: TaskType
        public var payload: JSONValue
        public var timeoutSeconds: Int
        /// Why the task cannot be submitted (an expression in its payload names nothing that ran): the step fails with it.
        public var problem: String?
    }

    /// What to do next.
    public enum Action: Sendable, Equatable {
        /// Submit this task, then report its id with `started(key:taskId:)`.
        case submit(Submission)
        /// A task is running: report its end with `finished(key:_:)`.
        case wait
        /// A failed step is retried, or a gate holds, until this time: ask again then.
        case waitUntil(Date)
        /// A gate must open, or its time is up: call `advanceGate(key:now:)`.
        case gate(String)
        /// The execution is over.
        case done(Phase)
    }

    public private(set) var plan: PipelinePlan
    public private(set) var phase: Phase = .deploying
    /// Every task, in the order they were started.
    public private(set) var runs: [Run] = []
    /// Why the execution failed, if it did.
    public private(set) var failure: String?
    /// A cancel was asked for while a step's task was running: when that task ends, whatever its result, the rollback starts.
    public private(set) var cancelRequested: Bool?
    /// The step that failed and is submitted again (`onFailure: retry`), and not before when.
    public private(set) var retry: PendingRetry?
    /// The steps that failed with `onFailure: ignore`, by key: they count as done.
    public private(set) var ignoredFailures: [String]?

    /// A failed step waiting to be submitted again.
    public struct PendingRetry: Codable, Sendable, Equatable {
        public var key: String
        public var notBefore: Date
    }

    /// Starts an execution of `plan`.
    public init(plan: PipelinePlan) {
        self.plan = plan
    }

    /// The next thing to do at `now`.
    public func next(now: Date = Date()) -> Action {
        if let running = runs.last, running.outcome == nil {
            if let gate = running.gate { return now < gate.deadline ? .waitUntil(gate.deadline) : .gate(running.key) }
            return running.taskId == nil ? .submit(submission(for: running.key)) : .wait
        }
        switch phase {
        case .deploying, .waiting:
            if let retry {
                return now < retry.notBefore ? .waitUntil(retry.notBefore) : start(retry.key)
            }
            guard let step = plan.steps.first(where: { s in !runs.contains { $0.key == "step:\(s.id)" } }) else { return .done(.succeeded) }
            return start("step:\(step.id)")
        case .rollingBack:
            guard let pending = pendingRollbacks().first else { return .done(runs.contains { $0.key.hasPrefix("rollback:") && $0.outcome?.status != .succeeded } ? .rollbackFailed : .rolledBack) }
            return .submit(submission(for: "rollback:\(pending.id)"))
        case .succeeded, .rolledBack, .rollbackFailed, .aborted:
            return .done(phase)
        }
    }

    /// What starts the step `key`: its gate, or its task.
    private func start(_ key: String) -> Action {
        step(for: key)?.gate != nil ? .gate(key) : .submit(submission(for: key))
    }

    /// Opens the gate of step `key` at `now`, or, when its deadline has passed, closes it: a wait ends, an undecided approval becomes its `onTimeout`.
    ///
    /// What `next` asks for with `.gate(key)`; does nothing otherwise.
    public mutating func advanceGate(key: String, now: Date = Date()) {
        guard phase == .deploying, let planned = step(for: key)?.gate else { return }
        if let i = runs.lastIndex(where: { $0.key == key && $0.outcome == nil }), let gate = runs[i].gate {
            guard now >= gate.deadline else { return }
            switch gate.kind {
            case .wait:
                finished(key: key, TaskOutcome(status: .succeeded), now: now)
            case .approval:
                let approved = gate.onTimeout == .approve
                _ = decide(GateDecision(approved: approved, by: GateDecision.timeoutDecider, at: now, comment: nil), now: now)
            }
            return
        }
        guard !runs.contains(where: { $0.key == key && $0.outcome == nil }) else { return }
        if retry?.key == key { retry = nil }
        let (name, type) = describe(key)
        let gate = GateState(kind: planned.kind, message: planned.message, openedAt: now, deadline: now.addingTimeInterval(TimeInterval(planned.seconds)), onTimeout: planned.onTimeout)
        runs.append(Run(key: key, name: name, type: type, taskId: nil, outcome: nil, gate: gate))
    }

    /// The approval the execution waits at, if it does: its run's index.
    public var openApproval: Int? {
        openGate?.gate?.kind == .approval ? runs.indices.last : nil
    }

    /// The gate the execution is held at (approval or wait), if any.
    public var openGate: Run? {
        guard phase == .deploying, let last = runs.last, last.outcome == nil, last.gate != nil else { return nil }
        return last
    }

    /// What a decision on an approval met.
    public enum DecisionResult: Sendable, Equatable {
        /// It closed the open approval.
        case decided
        /// The last approval was already decided (by this decision).
        case alreadyDecided(GateDecision)
        /// The execution waits at no approval and decided none.
        case notWaiting
    }

    /// Decides the open approval: approved, the execution goes on; rejected, the step fails (and by its `onFailure`, by default, what ran is rolled back).
    public mutating func decide(_ decision: GateDecision, now: Date = Date()) -> DecisionResult {
        guard let i = openApproval else {
            if let earlier = runs.last(where: { $0.gate?.kind == .approval })?.gate?.decision { return .alreadyDecided(earlier) }
            return .notWaiting
        }
        runs[i].gate?.decision = decision
        let key = runs[i].key
        if decision.approved {
            finished(key: key, TaskOutcome(status: .succeeded), now: now)
        } else {
            let error = decision.by == GateDecision.timeoutDecider
                ? "nobody approved it before \(ISO8601DateFormatter().string(from: runs[i].gate?.deadline ?? now)) (onTimeout: reject)"
                : "rejected by \(decision.by)\(decision.comment.map { ": \($0)" } ?? "")"
            finished(key: key, TaskOutcome(status: .failed, error: error), now: now)
        }
        return .decided
    }

    /// Records that the task for `key` was submitted as `taskId`.
    public mutating func started(key: String, taskId: String) {
        if retry?.key == key { retry = nil }
        if let i = runs.lastIndex(where: { $0.key == key && $0.outcome == nil }) {
            runs[i].taskId = taskId
        } else {
            let (name, type) = describe(key)
            runs.append(Run(key: key, name: name, type: type, taskId: taskId, outcome: nil))
        }
    }

    /// Records how the task for `key` ended at `now`, and moves the execution on (by the step's `onFailure` when it failed).
    public mutating func finished(key: String, _ outcome: TaskOutcome, now: Date = Date()) {
        guard let i = runs.lastIndex(where: { $0.key == key && $0.outcome == nil }) else { return }
        runs[i].outcome = outcome
        if key.hasPrefix("step:"), outcome.status != .succeeded || cancelRequested == true, phase == .deploying {
            let cancelled = cancelRequested == true || outcome.status == .cancelled
            let reason = cancelRequested == true && outcome.status == .succeeded
                ? "the execution was cancelled after \(runs[i].name)" : "\(runs[i].name) \(outcome.status.rawValue): \(outcome.error ?? "no reason given")"
            let attempts = runs.filter { $0.key == key }.count
            switch cancelled ? .rollback : step(for: key)?.onFailure ?? .rollback {
            case .ignore:
                ignoredFailures = (ignoredFailures ?? []) + [key]
            case .retry(let count, let interval) where attempts <= count:
                retry = PendingRetry(key: key, notBefore: now.addingTimeInterval(TimeInterval(interval)))
            case .abort:
                failure = reason
                phase = .aborted
            case .rollback, .retry:
                failure = reason
                phase = .rollingBack
            }
        }
        if phase == .deploying, retry == nil, plan.steps.allSatisfy({ s in
            let key = "step:\(s.id)"
            return runs.contains { $0.key == key && $0.outcome?.status == .succeeded } || ignoredFailures?.contains(key) == true
        }) {
            phase = .succeeded
        }
        if phase == .rollingBack, case .done(let end) = next(now: now) { phase = end }
    }

    /// The planned step a `step:ID` key names.
    func step(for key: String) -> PlannedStep? {
        let id = String(key.drop { $0 != ":" }.dropFirst())
        return plan.steps.first { $0.id == id }
    }

    /// Cancels the execution: no further step starts, and what ran is rolled back.
    ///
    /// With `taskStillRunning` the running task was only asked to stop: its
    /// result is awaited (a rollback must not run beside it). Otherwise the
    /// running task, if any, counts as cancelled at once.
    public mutating func cancel(reason: String, taskStillRunning: Bool = false) {
        if taskStillRunning, phase == .deploying {
            cancelRequested = true
        } else if let running = runs.last, running.outcome == nil {
            finished(key: running.key, TaskOutcome(status: .cancelled, error: reason))
        } else if phase == .deploying {
            retry = nil
            failure = reason
            phase = .rollingBack
            if case .done(let end) = next() { phase = end }
        }
    }

    /// Rolls back a finished execution (succeeded, or aborted by `onFailure: abort`) by hand (`ecs-manager rollback`): the rollbacks of every step that ran, in reverse order.
    ///
    /// Returns false when there is nothing to do: the execution is still running
    /// (cancel it instead) or was already rolled back.
    public mutating func requestRollback(reason: String) -> Bool {
        guard phase == .succeeded || phase == .aborted else { return false }
        failure = reason
        phase = .rollingBack
        if case .done(let end) = next() { phase = end }
        return true
    }

    /// Rollbacks still to run, in reverse order of the steps that ran, one per group.
    func pendingRollbacks() -> [PlannedStep] {
        var seenGroups: Set<String> = []
        var out: [PlannedStep] = []
        for step in plan.steps.reversed() {
            guard step.rollback != nil, outcome(of: step) != nil else { continue }
            let group = Self.group(of: step)
            guard seenGroups.insert(group).inserted else { continue }
            // A group whose steps recorded no snapshot changed nothing: there is nothing to undo.
            guard snapshot(of: group) != nil, !runs.contains(where: { $0.key == "rollback:\(step.id)" }) else { continue }
            out.append(step)
        }
        return out
    }

    /// The rollback group of a step: its own id unless its rollback names a shared one.
    static func group(of step: PlannedStep) -> String { step.rollback?.group ?? step.id }

    /// How a forward step's task ended, if it has.
    func outcome(of step: PlannedStep) -> TaskOutcome? {
        runs.last { $0.key == "step:\(step.id)" }?.outcome
    }

    /// The steps a group's rollback undoes, in plan order.
    func steps(in group: String) -> [PlannedStep] {
        plan.steps.filter { $0.rollback != nil && Self.group(of: $0) == group }
    }

    /// The first snapshot a step of the group recorded.
    func snapshot(of group: String) -> JSONValue? {
        steps(in: group).lazy.compactMap { self.outcome(of: $0)?.rollbackSnapshot }.first
    }

    private func describe(_ key: String) -> (String, TaskType) {
        let id = String(key.drop { $0 != ":" }.dropFirst())
        guard let step = plan.steps.first(where: { $0.id == id }) else { return (key, TaskType("?")) }
        if key.hasPrefix("rollback:"), let r = step.rollback { return (r.name, r.type) }
        return (step.name, step.type)
    }

    /// The task for `key`, with the payload it runs with.
    func submission(for key: String) -> Submission {
        let id = String(key.drop { $0 != ":" }.dropFirst())
        let index = plan.steps.firstIndex { $0.id == id } ?? 0
        let step = plan.steps[index]
        var payload: [String: JSONValue] = [:]
        if key.hasPrefix("rollback:"), let rollback = step.rollback {
            // The outputs of every step the rollback undoes, then its snapshot, then its own members.
            let group = Self.group(of: step)
            for s in steps(in: group) {
                for (k, v) in outcome(of: s)?.outputs ?? [:] { payload[k] = v }
            }
            let inputs = RollbackInputs(snapshot: snapshot(of: group), stepId: step.id, knownServiceName: payload["serviceName"]?.stringValue)
            for (k, v) in (try? JSONValue.outputs(inputs)) ?? [:] { payload[k] = v }
            for (k, v) in rollback.payload.objectValue ?? [:] { payload[k] = v }
            return Submission(key: key, name: rollback.name, type: rollback.type, payload: .object(payload), timeoutSeconds: plan.timeoutSeconds)
        }
        for earlier in plan.steps[..<index] {
            for (k, v) in outcome(of: earlier)?.outputs ?? [:] { payload[k] = v }
        }
        let blueGreen = plan.steps[..<index].last { $0.type == .blueGreenCreate && outcome(of: $0) != nil }.flatMap { outcome(of: $0)?.outputs }
        let expressions = StepExpressions(outputs: { id in plan.steps.first { $0.id == id }.flatMap { outcome(of: $0)?.outputs } }, pipeline: plan.pipeline, blueGreen: blueGreen)
        var problem: String?
        do {
            for (k, v) in (try expressions.resolve(step.payload)).objectValue ?? [:] { payload[k] = v }
        } catch {
            problem = error.message
        }
        return Submission(key: key, name: step.name, type: step.type, payload: .object(payload), timeoutSeconds: plan.timeoutSeconds, problem: problem)
    }
}
