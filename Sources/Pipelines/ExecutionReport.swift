import DelegateProtocol
import Foundation
import StepContracts

/// An execution as the manager reports it: the pipeline, where it is, and every task it ran.
public struct ExecutionReport: Codable, Sendable, Equatable {
    public var executionId: String
    public var pipeline: String
    public var connector: String
    /// `deploying`, `waiting` (held at a gate), `rollingBack`, `succeeded`, `rolledBack`, `rollbackFailed`, `aborted`.
    public var phase: ExecutionEngine.Phase
    /// The gate the execution is held at (phase `waiting`): what it waits for and until when.
    public var gate: GateReport?
    /// Why it failed (the step and its error), when it did.
    public var failure: String?
    public var createdAt: Date
    public var finishedAt: Date?
    /// The tasks, in the order they ran.
    public var runs: [RunReport]
    /// The steps the plan has, in order (their names), for a client that shows what is still to come.
    public var steps: [String]

    /// Creates a report from the stored engine.
    public init(executionId: String, engine: ExecutionEngine, createdAt: Date, finishedAt: Date?) {
        self.executionId = executionId
        pipeline = engine.plan.pipeline
        connector = engine.plan.connector
        phase = engine.phase
        if let held = engine.openGate, let state = held.gate {
            phase = .waiting
            gate = GateReport(step: held.name, kind: state.kind, message: state.message, openedAt: state.openedAt, deadline: state.deadline, onTimeout: state.onTimeout)
        }
        failure = engine.failure
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        runs = engine.runs.map {
            RunReport(key: $0.key, name: $0.name, type: $0.type, taskId: $0.taskId, status: $0.outcome?.status, error: $0.outcome?.error, isRollback: $0.key.hasPrefix("rollback:"), gate: $0.gate)
        }
        steps = engine.plan.steps.map(\.name)
    }

    /// Whether the execution has ended.
    public var isFinished: Bool { phase.isOver }

    /// The exit status `ecs-manager run --follow` ends with: 0 succeeded; 1 failed, and rolled back or stopped as it was
    /// (`onFailure: abort`), or not over yet; 3 the rollback failed too. (2 and 4 are the CLI's: bad usage, manager unreachable.)
    public var exitStatus: Int32 {
        switch phase {
        case .succeeded: return 0
        case .rolledBack, .aborted: return 1
        case .rollbackFailed: return 3
        case .deploying, .waiting, .rollingBack: return 1
        }
    }
}

/// One task of an execution.
public struct RunReport: Codable, Sendable, Equatable {
    public var key: String
    /// The step's heading, e.g. "Canary Deploy" or "Rolling Rollback".
    public var name: String
    public var type: TaskType
    public var taskId: String?
    /// Nil while it runs.
    public var status: TaskStatus?
    public var error: String?
    public var isRollback: Bool
    /// A gate's state and decision (approval, wait); a gate has no task.
    public var gate: GateState?
}

/// The gate an execution is held at, as clients show it.
public struct GateReport: Codable, Sendable, Equatable {
    /// The gate step's name.
    public var step: String
    public var kind: PlannedGate.Kind
    public var message: String?
    public var openedAt: Date
    /// When a wait ends, or an undecided approval becomes `onTimeout`.
    public var deadline: Date
    public var onTimeout: PlannedGate.TimeoutOutcome?
}
