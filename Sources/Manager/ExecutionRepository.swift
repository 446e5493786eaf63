import Foundation
import GRDB
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
}

extension ExecutionRepository {
    /// A store only one process uses (SQLite): `ExecutionGate` already serialises the process's changes.
    public func withExecutionLock<T>(_ id: String, _ body: () async throws -> T) async throws -> T { try await body() }
}

/// An execution as stored.
public struct StoredExecution: Sendable, Equatable {
    public var id: String
    public var engine: ExecutionEngine
    public var createdAt: Date
    public var finishedAt: Date?

    /// The report clients see.
    public var report: ExecutionReport { ExecutionReport(executionId: id, engine: engine, createdAt: createdAt, finishedAt: finishedAt) }
}

extension ManagerStore: ExecutionRepository {
    /// The executions table (registered with the store's other migrations).
    static func registerExecutionMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v4: executions") { db in
            try db.execute(sql: """
                CREATE TABLE executions (
                    id TEXT PRIMARY KEY,
                    pipeline TEXT NOT NULL,
                    phase TEXT NOT NULL,
                    engine TEXT NOT NULL,
                    createdAt REAL NOT NULL,
                    finishedAt REAL
                );
                CREATE INDEX executions_phase ON executions(phase);
                """)
        }
    }

    public func createExecution(id: String, engine: ExecutionEngine, now: Date) async throws {
        try await db.write { db in
            try db.execute(
                sql: "INSERT INTO executions (id, pipeline, phase, engine, createdAt) VALUES (?,?,?,?,?)",
                arguments: [id, engine.plan.pipeline, engine.phase.rawValue, try jsonString(engine), now.timeIntervalSince1970])
        }
    }

    public func execution(_ id: String) async throws -> StoredExecution? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM executions WHERE id=?", arguments: [id]).map(Self.storedExecution) }
    }

    public func executions(limit: Int) async throws -> [StoredExecution] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM executions ORDER BY createdAt DESC LIMIT ?", arguments: [limit]).map(Self.storedExecution) }
    }

    public func activeExecutionIds() async throws -> [String] {
        try await db.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM executions WHERE phase IN ('deploying', 'rollingBack') ORDER BY createdAt")
        }
    }

    public func saveExecution(id: String, engine: ExecutionEngine, now: Date) async throws {
        let over = engine.phase.isOver
        try await db.write { db in
            try db.execute(
                sql: "UPDATE executions SET phase=?, engine=?, finishedAt=CASE WHEN ? THEN COALESCE(finishedAt, ?) ELSE NULL END WHERE id=?",
                arguments: [engine.phase.rawValue, try jsonString(engine), over, now.timeIntervalSince1970, id])
        }
    }

    private static func storedExecution(_ row: Row) throws -> StoredExecution {
        StoredExecution(
            id: row["id"], engine: try jsonValue(row["engine"]), createdAt: Date(timeIntervalSince1970: row["createdAt"]),
            finishedAt: (row["finishedAt"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
