import AWSSigV4
import DelegateProtocol
import Foundation
import ManagerAPI

/// The repository's calls at the current time and with the usual limits, for callers that do not inject a clock.
extension ManagerRepository {
    /// Registers a delegate at `now`, unbound and unaudited.
    public func register(_ r: RegisterRequest, now: Date) async throws -> Registration { try await register(r, now: now, boundTo: nil, audit: nil) }
    /// Registers a delegate now.
    public func register(_ r: RegisterRequest) async throws -> Registration { try await register(r, now: Date()) }
    /// Marks a delegate seen now.
    public func touch(delegateId: String, heartbeat: HeartbeatRequest?) async throws { try await touch(delegateId: delegateId, heartbeat: heartbeat, now: Date()) }
    /// Every delegate as seen now.
    public func delegates(staleAfter: TimeInterval) async throws -> [DelegateInfo] { try await delegates(now: Date(), staleAfter: staleAfter) }
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
    /// Leases now.
    public func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval) async throws -> LeasedTask? { try await lease(for: delegate, leaseSeconds: leaseSeconds, now: Date()) }
    /// Renews leases now.
    public func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval) async throws -> ([String], [String]) {
        try await renew(delegateId: delegateId, running: running, leaseSeconds: leaseSeconds, now: Date())
    }
    /// Records a result now.
    @discardableResult
    public func finish(taskId: String, leaseId: String, result: TaskResult) async throws -> Bool { try await finish(taskId: taskId, leaseId: leaseId, result: result, now: Date()) }
    /// Expires leases that ran out by now.
    public func expireLeases() async throws -> [String] { try await expireLeases(now: Date()) }
    /// Extends live leases from now.
    public func extendLiveLeases(by seconds: TimeInterval) async throws { try await extendLiveLeases(by: seconds, now: Date()) }
    /// Up to 5000 lines after `after`.
    public func logs(taskId: String, after: Int64) async throws -> [LogLine] { try await logs(taskId: taskId, after: after, limit: 5000) }
}

/// Where task ids come from.
public enum TaskIdentifier {
    /// A fresh task id, `task-` and a UUID.
    public static func make() -> String { "task-" + UUID().uuidString.lowercased() }

    /// The id of the `ordinal`-th task an execution starts, for its step run `key`: the same every time it is computed.
    ///
    /// The orchestrator submits a step's task under this id and then saves the
    /// execution. A manager killed between the two submits again after its
    /// restart, with the same id, and finds the task already there: a step
    /// runs once however the manager dies (the `UUID` is SHA-256 of the three
    /// parts, shaped as a version 8 UUID).
    public static func forStep(execution: String, ordinal: Int, key: String) -> String {
        let hex = Array(SigV4Crypto.sha256Hex(Array("\(execution)\u{0}\(ordinal)\u{0}\(key)".utf8)).prefix(32))
        var chars = hex
        chars[12] = "8"  // version 8: custom
        let variant = "89ab"
        if let v = hex[16].hexDigitValue { chars[16] = Array(variant)[v % 4] }
        let s = String(chars)
        let parts = [s.prefix(8), s.dropFirst(8).prefix(4), s.dropFirst(12).prefix(4), s.dropFirst(16).prefix(4), s.dropFirst(20)]
        return "task-" + parts.joined(separator: "-")
    }
}
