import DelegateProtocol
import Foundation
import ManagerAPI

/// Tasks and what they report: submissions, reports, cancel requests, results and log lines.
///
/// Handing tasks out is `DelegateRepository`'s (leases belong to delegates);
/// results and log lines are checked here against the lease they came under
/// (`LeaseError`). `ManagerStore` (SQLite) and `PostgresStore` implement it;
/// `TaskRepositoryContractTests` hold both to the same contract.
public protocol TaskRepository: Sendable {
    // MARK: tasks

    /// Queues task `id`; `connector` is the stored connector it uses (its selectors already merged into `s.selectors`),
    /// `artifactConnector` the stored registry connector its artifact comes from; `audit`, if any, is recorded in the same
    /// transaction (one commit fewer before the task can be leased).
    func submit(_ s: SubmitTaskRequest, id: String, connector: Connector?, artifactConnector: Connector?, audit: AuditEntry?, now: Date) async throws
    /// One task's report, or nil.
    func task(_ id: String) async throws -> TaskReport?
    /// The most recent tasks, newest first.
    func tasks(limit: Int) async throws -> [TaskReport]
    /// Asks for a task to be cancelled.
    func requestCancel(taskId: String, now: Date) async throws -> CancelOutcome
    /// Records a task's result once per lease; false when it was already recorded.
    func finish(taskId: String, leaseId: String, result: TaskResult, now: Date) async throws -> Bool
    /// How many tasks are stored, by type and state (`/metrics`); one entry per pair that has any.
    func taskCounts() async throws -> [TaskCount]

    // MARK: logs

    /// Stores a batch of lines exactly once, in order.
    func appendLogs(taskId: String, batch: LogBatch) async throws -> LogAck
    /// Lines with seq after `after`.
    func logs(taskId: String, after: Int64, limit: Int) async throws -> [LogLine]
}

/// The task calls at the current time and with the usual limits, for callers that do not inject a clock.
extension TaskRepository {
    /// Queues task `id` without an audit entry.
    public func submit(_ s: SubmitTaskRequest, id: String, connector: Connector?, artifactConnector: Connector?, now: Date) async throws {
        try await submit(s, id: id, connector: connector, artifactConnector: artifactConnector, audit: nil, now: now)
    }
    /// Queues a task under a fresh id; returns the id.
    public func submit(_ s: SubmitTaskRequest, connector: Connector? = nil, artifactConnector: Connector? = nil, now: Date = Date()) async throws -> String {
        let id = TaskIdentifier.make()
        try await submit(s, id: id, connector: connector, artifactConnector: artifactConnector, now: now)
        return id
    }
    /// The 100 most recent tasks.
    public func tasks() async throws -> [TaskReport] { try await tasks(limit: 100) }
    /// Asks now for a task to be cancelled.
    public func requestCancel(taskId: String) async throws -> CancelOutcome { try await requestCancel(taskId: taskId, now: Date()) }
    /// Records a result now.
    @discardableResult
    public func finish(taskId: String, leaseId: String, result: TaskResult) async throws -> Bool { try await finish(taskId: taskId, leaseId: leaseId, result: result, now: Date()) }
    /// Up to 5000 lines after `after`.
    public func logs(taskId: String, after: Int64) async throws -> [LogLine] { try await logs(taskId: taskId, after: after, limit: 5000) }
}

/// How many tasks of one type are in one state.
public struct TaskCount: Sendable, Equatable {
    public var type: String
    /// `queued`, `leased`, `running`, `succeeded`, `failed`, `cancelled` or `rejected`.
    public var state: String
    public var count: Int
    /// Creates a count.
    public init(type: String, state: String, count: Int) {
        self.type = type
        self.state = state
        self.count = count
    }
}
