import Foundation
import GRDB
import ManagerCore
import Pipelines

/// Executions in the manager's SQLite file: their engine state, so a restarted manager resumes driving them.
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
