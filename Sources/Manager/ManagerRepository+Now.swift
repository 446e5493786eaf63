import DelegateProtocol
import Foundation

/// The repository's calls at the current time and with the usual limits, for callers that do not inject a clock.
extension ManagerRepository {
    /// Registers a delegate now.
    public func register(_ r: RegisterRequest) throws -> Registration { try register(r, now: Date()) }
    /// Marks a delegate seen now.
    public func touch(delegateId: String, heartbeat: HeartbeatRequest?) throws { try touch(delegateId: delegateId, heartbeat: heartbeat, now: Date()) }
    /// Every delegate as seen now.
    public func delegates(staleAfter: TimeInterval) throws -> [DelegateInfo] { try delegates(now: Date(), staleAfter: staleAfter) }
    /// Queues task `id` without an audit entry.
    public func submit(_ s: SubmitTaskRequest, id: String, connector: Connector?, artifactConnector: Connector?, now: Date) throws {
        try submit(s, id: id, connector: connector, artifactConnector: artifactConnector, audit: nil, now: now)
    }
    /// Queues a task under a fresh id; returns the id.
    public func submit(_ s: SubmitTaskRequest, connector: Connector? = nil, artifactConnector: Connector? = nil, now: Date = Date()) throws -> String {
        let id = TaskIdentifier.make()
        try submit(s, id: id, connector: connector, artifactConnector: artifactConnector, now: now)
        return id
    }
    /// The 100 most recent tasks.
    public func tasks() throws -> [TaskReport] { try tasks(limit: 100) }
    /// Asks now for a task to be cancelled.
    public func requestCancel(taskId: String) throws -> CancelOutcome { try requestCancel(taskId: taskId, now: Date()) }
    /// Leases now.
    public func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval) throws -> LeasedTask? { try lease(for: delegate, leaseSeconds: leaseSeconds, now: Date()) }
    /// Renews leases now.
    public func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval) throws -> ([String], [String]) {
        try renew(delegateId: delegateId, running: running, leaseSeconds: leaseSeconds, now: Date())
    }
    /// Records a result now.
    @discardableResult
    public func finish(taskId: String, leaseId: String, result: TaskResult) throws -> Bool { try finish(taskId: taskId, leaseId: leaseId, result: result, now: Date()) }
    /// Expires leases that ran out by now.
    public func expireLeases() throws -> [String] { try expireLeases(now: Date()) }
    /// Extends live leases from now.
    public func extendLiveLeases(by seconds: TimeInterval) throws { try extendLiveLeases(by: seconds, now: Date()) }
    /// Up to 5000 lines after `after`.
    public func logs(taskId: String, after: Int64) throws -> [LogLine] { try logs(taskId: taskId, after: after, limit: 5000) }
}

/// Where task ids come from.
public enum TaskIdentifier {
    /// A fresh task id, `task-` and a UUID.
    public static func make() -> String { "task-" + UUID().uuidString.lowercased() }
}
