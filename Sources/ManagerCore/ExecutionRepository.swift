import Foundation
import Pipelines

/// Where executions live: their engine state, so a restarted manager resumes driving them.
///
/// A separate seam from `ManagerRepository` so a second storage (PostgreSQL)
/// implements it beside the rest; the contract suite covers both.
public protocol ExecutionRepository: Sendable {
    /// Stores a new execution.
    func createExecution(id: String, engine: ExecutionEngine, now: Date) async throws
    /// One execution: its engine, when it started and ended.
    func execution(_ id: String) async throws -> StoredExecution?
    /// The most recent executions, newest first.
    func executions(limit: Int) async throws -> [StoredExecution]
    /// The ids of executions still running (deploying or rolling back), oldest first.
    func activeExecutionIds() async throws -> [String]
    /// Saves the engine's new state (and the end time once it is over).
    func saveExecution(id: String, engine: ExecutionEngine, now: Date) async throws
    /// Runs `body` while no other manager process changes execution `id` (replicas sharing a database); one process alone needs no lock.
    func withExecutionLock<T>(_ id: String, _ body: () async throws -> T) async throws -> T
    /// Runs `body` if no other manager process is changing execution `id`, else returns nil at once: a sweep leaves it to the process that holds it.
    func withExecutionLockIfFree<T>(_ id: String, _ body: () async throws -> T) async throws -> T?
}

extension ExecutionRepository {
    /// A store only one process uses (SQLite): `ExecutionGate` already serialises the process's changes.
    public func withExecutionLock<T>(_ id: String, _ body: () async throws -> T) async throws -> T { try await body() }
    /// A store only one process uses is always free.
    public func withExecutionLockIfFree<T>(_ id: String, _ body: () async throws -> T) async throws -> T? { try await body() }
}

/// An execution as stored.
public struct StoredExecution: Sendable, Equatable {
    public var id: String
    public var engine: ExecutionEngine
    public var createdAt: Date
    public var finishedAt: Date?

    /// An execution with this engine and these times (as a store reads it back).
    package init(id: String, engine: ExecutionEngine, createdAt: Date, finishedAt: Date?) {
        self.id = id
        self.engine = engine
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }

    /// The report clients see.
    public var report: ExecutionReport { ExecutionReport(executionId: id, engine: engine, createdAt: createdAt, finishedAt: finishedAt) }
}
