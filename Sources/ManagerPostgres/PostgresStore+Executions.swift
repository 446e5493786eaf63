import Foundation
import ManagerCore
import Pipelines
import PostgresNIO

/// Executions in PostgreSQL: their engine state, so any replica resumes driving them.
extension PostgresStore: ExecutionRepository {
    /// Stores a new execution.
    public func createExecution(id: String, engine: ExecutionEngine, now: Date) async throws {
        let text = try jsonString(engine)
        try await pool.withConnection { s in
            try await s.run("""
                INSERT INTO executions (id, pipeline, phase, engine, created_at)
                VALUES (\(id), \(engine.plan.pipeline), \(engine.phase.rawValue), \(text), \(now.timeIntervalSince1970))
                """)
        }
    }

    /// One execution, or nil.
    public func execution(_ id: String) async throws -> StoredExecution? {
        try await pool.withConnection { s in try await s.row("SELECT * FROM executions WHERE id=\(id)").map(Self.storedExecution) }
    }

    /// The most recent executions, newest first.
    public func executions(limit: Int) async throws -> [StoredExecution] {
        try await pool.withConnection { s in try await s.rows("SELECT * FROM executions ORDER BY created_at DESC LIMIT \(max(0, limit))").map(Self.storedExecution) }
    }

    /// The ids of executions still running, oldest first.
    public func activeExecutionIds() async throws -> [String] {
        try await pool.withConnection { s in
            try await s.rows("SELECT id FROM executions WHERE phase IN ('deploying', 'rollingBack') ORDER BY created_at").map { try $0.get("id", as: String.self) }
        }
    }

    /// Saves the engine's new state (and the end time once it is over).
    public func saveExecution(id: String, engine: ExecutionEngine, now: Date) async throws {
        let text = try jsonString(engine)
        try await pool.withConnection { s in
            try await s.run("""
                UPDATE executions SET phase=\(engine.phase.rawValue), engine=\(text),
                finished_at=CASE WHEN \(engine.phase.isOver) THEN COALESCE(finished_at, \(now.timeIntervalSince1970)) ELSE NULL END WHERE id=\(id)
                """)
        }
    }

    /// Runs `body` holding a session advisory lock on `id`, so replicas change one execution one at a time.
    ///
    /// The lock is tried (`pg_try_advisory_lock`), never waited for on the
    /// server: while another replica holds it, this one lets the connection go
    /// and tries again after 5 ms, doubling to 200 ms, so no connection and no
    /// thread is held waiting. `body` reads and saves through other
    /// connections of the pool (the pool keeps at least two).
    public func withExecutionLock<T>(_ id: String, _ body: () async throws -> T) async throws -> T {
        var pause = Duration.milliseconds(5)
        while true {
            if let result = try await withExecutionLockIfFree(id, body) { return result }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(200))
        }
    }

    public func withExecutionLockIfFree<T>(_ id: String, _ body: () async throws -> T) async throws -> T? {
        try await pool.withConnection { s in
            let locked = try await s.row("SELECT pg_try_advisory_lock(\(Self.executionLockSpace), hashtext(\(id))) AS locked")?.get("locked", as: Bool.self)
            guard locked == true else { return nil }
            let result: T
            do {
                result = try await body()
            } catch {
                await Self.unlockExecution(id, on: s)
                throw error
            }
            await Self.unlockExecution(id, on: s)
            return result
        }
    }

    /// Releases the execution lock; a connection that cannot is closed (which releases it), never reused.
    private static func unlockExecution(_ id: String, on s: PostgresSession) async {
        if (try? await s.run("SELECT pg_advisory_unlock(\(executionLockSpace), hashtext(\(id)))")) == nil { s.broken = true }
    }

    /// The first key of executions' advisory locks (the second is the hash of the execution id).
    static let executionLockSpace: Int32 = 0x6578_6563  // "exec"

    /// An executions row as stored.
    private static func storedExecution(_ row: PostgresRandomAccessRow) throws -> StoredExecution {
        StoredExecution(
            id: try row.get("id"), engine: try jsonValue(try row.get("engine", as: String.self)), createdAt: try row.date("created_at"),
            finishedAt: try row.optionalDate("finished_at"))
    }
}
