import Foundation
import Pipelines
import PostgresNIO

/// Executions in PostgreSQL: their engine state, so any replica resumes driving them.
extension PostgresStore: ExecutionRepository {
    /// Stores a new execution.
    public func createExecution(id: String, engine: ExecutionEngine, now: Date) throws {
        let text = try jsonString(engine)
        try pool.withConnection { s in
            try s.run("""
                INSERT INTO executions (id, pipeline, phase, engine, created_at)
                VALUES (\(id), \(engine.plan.pipeline), \(engine.phase.rawValue), \(text), \(now.timeIntervalSince1970))
                """)
        }
    }

    /// One execution, or nil.
    public func execution(_ id: String) throws -> StoredExecution? {
        try pool.withConnection { s in try s.row("SELECT * FROM executions WHERE id=\(id)").map(Self.storedExecution) }
    }

    /// The most recent executions, newest first.
    public func executions(limit: Int) throws -> [StoredExecution] {
        try pool.withConnection { s in try s.rows("SELECT * FROM executions ORDER BY created_at DESC LIMIT \(max(0, limit))").map(Self.storedExecution) }
    }

    /// The ids of executions still running, oldest first.
    public func activeExecutionIds() throws -> [String] {
        try pool.withConnection { s in
            try s.rows("SELECT id FROM executions WHERE phase IN ('deploying', 'rollingBack') ORDER BY created_at").map { try $0.get("id", as: String.self) }
        }
    }

    /// Saves the engine's new state (and the end time once it is over).
    public func saveExecution(id: String, engine: ExecutionEngine, now: Date) throws {
        let text = try jsonString(engine)
        try pool.withConnection { s in
            try s.run("""
                UPDATE executions SET phase=\(engine.phase.rawValue), engine=\(text),
                finished_at=CASE WHEN \(engine.phase.isOver) THEN COALESCE(finished_at, \(now.timeIntervalSince1970)) ELSE NULL END WHERE id=\(id)
                """)
        }
    }

    /// Runs `body` holding a session advisory lock on `id`, so replicas change one execution one at a time.
    ///
    /// `body` reads and saves through other connections of the pool (the pool keeps at least two).
    public func withExecutionLock<T>(_ id: String, _ body: () throws -> T) throws -> T {
        try pool.withConnection { s in
            try s.run("SELECT pg_advisory_lock(\(Self.executionLockSpace), hashtext(\(id)))")
            defer {
                // The lock belongs to the connection: one that cannot unlock is closed (which releases it), never reused.
                if (try? s.run("SELECT pg_advisory_unlock(\(Self.executionLockSpace), hashtext(\(id)))")) == nil { s.broken = true }
            }
            return try body()
        }
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
