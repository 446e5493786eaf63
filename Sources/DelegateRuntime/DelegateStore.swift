import DelegateProtocol
import Foundation
import GRDB
import SQLiteSupport
import StepContracts

/// The delegate's SQLite state: identity, task journal, log spool and undelivered results.
///
/// Lines stay in the spool after the manager acknowledges them, for local
/// reading on the status socket, until `prune` removes tasks past retention.
public final class DelegateStore: Sendable {
    let db: DatabasePool
    /// The file, with its checkpoints off the commit path.
    let file: WALDatabase

    /// Opens (creating and migrating) `state.sqlite` under `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        file = try WALDatabase(path: (directory as NSString).appendingPathComponent("state.sqlite"), budget: .small)
        db = file.pool
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE identity (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE journal (
                    taskId TEXT PRIMARY KEY,
                    leaseId TEXT NOT NULL,
                    type TEXT NOT NULL,
                    executionId TEXT,
                    state TEXT NOT NULL,
                    status TEXT,
                    startedAt REAL NOT NULL,
                    finishedAt REAL,
                    lastSeq INTEGER NOT NULL DEFAULT 0,
                    ackedSeq INTEGER NOT NULL DEFAULT 0,
                    result TEXT,
                    resultDelivered INTEGER NOT NULL DEFAULT 0,
                    errorCode TEXT,
                    errorMessage TEXT
                );
                CREATE INDEX journal_state ON journal(state);
                CREATE TABLE spool (
                    taskId TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    time REAL NOT NULL,
                    level TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    text TEXT NOT NULL,
                    PRIMARY KEY (taskId, seq)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2-rollback-snapshots") { db in
            try db.execute(sql: """
                CREATE TABLE snapshots (
                    executionId TEXT NOT NULL,
                    cluster TEXT NOT NULL,
                    service TEXT NOT NULL,
                    taskId TEXT NOT NULL,
                    createdAt REAL NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (executionId, cluster, service)
                );
                CREATE INDEX snapshots_created ON snapshots(createdAt);
                """)
        }
        // Snapshots keyed per step: a canary and a rolling deploy of one service in one execution
        // each keep their own. Rows from v2 were all rolling deployments, keyed by their service.
        m.registerMigration("v3-step-snapshots") { db in
            try db.execute(sql: """
                CREATE TABLE step_snapshots (
                    executionId TEXT NOT NULL,
                    stepId TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    cluster TEXT NOT NULL,
                    service TEXT NOT NULL,
                    taskId TEXT NOT NULL,
                    createdAt REAL NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (executionId, stepId)
                );
                INSERT INTO step_snapshots (executionId, stepId, kind, version, cluster, service, taskId, createdAt, body)
                    SELECT executionId, 'rolling/' || cluster || '/' || service, 'rolling', 1, cluster, service, taskId, createdAt, body FROM snapshots;
                DROP TABLE snapshots;
                CREATE INDEX step_snapshots_created ON step_snapshots(createdAt);
                CREATE INDEX step_snapshots_service ON step_snapshots(executionId, kind, cluster, service);
                """)
        }
        return m
    }

    // MARK: rollback snapshots

    /// Saves what a step is about to change, before it changes it. The first write per (execution, step) wins:
    /// a retried step must not overwrite the state from before its first attempt.
    public func saveSnapshot(_ key: SnapshotKey, kind: SnapshotKind, cluster: String, service: String, taskId: String, body: JSONValue, now: Date = Date()) throws {
        let text = String(decoding: try ProtocolV1.encoder().encode(body), as: UTF8.self)
        try db.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO step_snapshots (executionId, stepId, kind, version, cluster, service, taskId, createdAt, body)
                    VALUES (?,?,?,?,?,?,?,?,?)
                    """,
                arguments: [key.executionId, key.stepId, kind.rawValue, kind.version, cluster, service, taskId, now.timeIntervalSince1970, text])
        }
    }

    /// The snapshot saved for a step of an execution, or nil.
    public func snapshot(_ key: SnapshotKey) throws -> SnapshotEntry? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM step_snapshots WHERE executionId=? AND stepId=?", arguments: [key.executionId, key.stepId]).map(SnapshotEntry.init(row:))
        }
    }

    /// Saves a rolling deployment's snapshot under its default step id (the service it deploys).
    public func saveSnapshot(executionId: String, cluster: String, service: String, taskId: String, body: JSONValue, now: Date = Date()) throws {
        try saveSnapshot(SnapshotKey.defaultKey(executionId: executionId, kind: .rolling, cluster: cluster, service: service), kind: .rolling,
                         cluster: cluster, service: service, taskId: taskId, body: body, now: now)
    }

    /// The rolling deployment snapshot of an execution's service, or nil.
    public func snapshot(executionId: String, cluster: String, service: String) throws -> JSONValue? {
        try snapshot(SnapshotKey.defaultKey(executionId: executionId, kind: .rolling, cluster: cluster, service: service))?.snapshot
    }

    /// The most recent snapshots, newest first (at most `maxPage`).
    public func snapshots(limit: Int = 100) throws -> [SnapshotEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM step_snapshots ORDER BY createdAt DESC LIMIT ?", arguments: [Self.page(limit)]).map(SnapshotEntry.init(row:))
        }
    }

    /// Deletes snapshots older than `cutoff`; returns how many.
    @discardableResult
    public func pruneSnapshots(olderThan cutoff: Date) throws -> Int {
        try db.write { db in
            try db.execute(sql: "DELETE FROM step_snapshots WHERE createdAt < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    /// The delegate's stable instance id, created on first use.
    public func instanceId() throws -> String {
        try db.write { db in
            if let id = try String.fetchOne(db, sql: "SELECT value FROM identity WHERE key='instanceId'") { return id }
            let id = UUID().uuidString.lowercased()
            try db.execute(sql: "INSERT INTO identity (key, value) VALUES ('instanceId', ?)", arguments: [id])
            return id
        }
    }

    // MARK: journal

    /// Records that a task started.
    public func begin(_ task: TaskEnvelope, now: Date = Date()) throws {
        try db.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO journal (taskId, leaseId, type, executionId, state, startedAt) VALUES (?,?,?,?, 'running', ?)",
                arguments: [task.taskId, task.leaseId, task.type, task.executionId, now.timeIntervalSince1970])
        }
    }

    /// Records a task's result (before it is sent), so a crash cannot lose it.
    public func finish(taskId: String, result: TaskResult, now: Date = Date()) throws {
        let text = String(decoding: try ProtocolV1.encoder().encode(result), as: UTF8.self)
        try db.write { db in
            try db.execute(
                sql: "UPDATE journal SET state='finished', status=?, finishedAt=?, result=?, errorCode=?, errorMessage=? WHERE taskId=?",
                arguments: [result.status.rawValue, now.timeIntervalSince1970, text, result.error?.code, result.error?.message, taskId])
        }
    }

    /// Marks a result acknowledged by the manager.
    public func markDelivered(taskId: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE journal SET resultDelivered=1 WHERE taskId=?", arguments: [taskId])
        }
    }

    /// Tasks that were running when the process last stopped (they cannot be resumed).
    public func interruptedTasks() throws -> [(taskId: String, leaseId: String)] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT taskId, leaseId FROM journal WHERE state='running'").map { ($0["taskId"], $0["leaseId"]) }
        }
    }

    /// Results recorded but not yet acknowledged.
    public func undeliveredResults() throws -> [(taskId: String, result: TaskResult)] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT taskId, result FROM journal WHERE state='finished' AND resultDelivered=0 ORDER BY finishedAt").compactMap { row in
                guard let text: String = row["result"] else { return nil }
                return (row["taskId"], try ProtocolV1.decoder().decode(TaskResult.self, from: Data(text.utf8)))
            }
        }
    }

    /// The most entries one read of the journal or of the snapshots returns, whatever the caller asks.
    public static let maxPage = 1000

    /// The journal's most recent entries, newest first (at most `maxPage`).
    ///
    /// The status socket's recent-task list is this read: nothing per task is
    /// held in memory, and the journal itself is pruned past `log_retention_hours`.
    public func journal(limit: Int = 50) throws -> [JournalEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM journal ORDER BY startedAt DESC LIMIT ?", arguments: [Self.page(limit)]).map(JournalEntry.init(row:))
        }
    }

    /// `limit` within 1...`maxPage`.
    static func page(_ limit: Int) -> Int { min(max(limit, 1), maxPage) }

    // MARK: spool

    /// Appends masked lines to the spool in one transaction; returns the highest seq stored.
    public func spool(taskId: String, lines: [LogLine]) throws {
        guard let last = lines.last else { return }
        try db.write { db in
            let stmt = try db.cachedStatement(sql: "INSERT OR IGNORE INTO spool (taskId, seq, time, level, unit, text) VALUES (?,?,?,?,?,?)")
            for l in lines {
                try stmt.execute(arguments: [taskId, l.seq, l.time.timeIntervalSince1970, l.level, l.unit, l.text])
            }
            try db.execute(sql: "UPDATE journal SET lastSeq=MAX(lastSeq, ?) WHERE taskId=?", arguments: [last.seq, taskId])
        }
    }

    /// Spooled lines after `after`, oldest first, at most `limit` lines or about `maxBytes`.
    public func unshipped(taskId: String, after: Int64, limit: Int, maxBytes: Int) throws -> [LogLine] {
        try db.read { db in
            var bytes = 0
            var out: [LogLine] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT seq, time, level, unit, text FROM spool WHERE taskId=? AND seq>? ORDER BY seq LIMIT ?", arguments: [taskId, after, limit])
            while let row = try rows.next() {
                let line = LogLine(seq: row["seq"], time: Date(timeIntervalSince1970: row["time"]), level: row["level"], unit: row["unit"], text: row["text"])
                bytes += line.text.utf8.count + 64
                if !out.isEmpty && bytes > maxBytes { break }
                out.append(line)
            }
            return out
        }
    }

    /// Records that the manager holds every line through `seq` (the lines stay for local reading until pruned).
    public func acknowledge(taskId: String, through seq: Int64) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE journal SET ackedSeq=MAX(ackedSeq, MIN(?, lastSeq)) WHERE taskId=?", arguments: [seq, taskId])
        }
    }

    /// Tasks with lines the manager has not acknowledged yet.
    public func tasksWithSpool() throws -> [(taskId: String, leaseId: String, acked: Int64, lastSeq: Int64)] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT taskId, leaseId, ackedSeq, lastSeq FROM journal WHERE lastSeq > ackedSeq ORDER BY startedAt")
                .map { ($0["taskId"], $0["leaseId"], $0["ackedSeq"], $0["lastSeq"]) }
        }
    }

    /// Lines kept for local reading (`ecs-delegate logs`), after `after`.
    public func lines(taskId: String, after: Int64, limit: Int) throws -> [LogLine] {
        try unshipped(taskId: taskId, after: after, limit: limit, maxBytes: Int.max)
    }

    /// One journal entry, or nil.
    public func journalEntry(taskId: String) throws -> JournalEntry? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM journal WHERE taskId=?", arguments: [taskId]).map(JournalEntry.init(row:))
        }
    }

    /// Deletes finished, delivered and fully shipped tasks (and their lines) that ended before `cutoff`.
    @discardableResult
    public func prune(finishedBefore cutoff: Date) throws -> Int {
        try db.write { db in
            let ids = try String.fetchAll(db, sql: """
                SELECT taskId FROM journal WHERE state='finished' AND resultDelivered=1 AND ackedSeq >= lastSeq AND finishedAt < ?
                """, arguments: [cutoff.timeIntervalSince1970])
            for id in ids {
                try db.execute(sql: "DELETE FROM spool WHERE taskId=?", arguments: [id])
                try db.execute(sql: "DELETE FROM journal WHERE taskId=?", arguments: [id])
            }
            return ids.count
        }
    }

    /// Lines spooled but not yet acknowledged, across all tasks.
    public func unacknowledgedCount() throws -> Int {
        try db.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(lastSeq - ackedSeq), 0) FROM journal WHERE lastSeq > ackedSeq") ?? 0 }
    }

    /// The last seq spooled for a task (0 when none).
    public func lastSeq(taskId: String) throws -> Int64 {
        try db.read { db in try Int64.fetchOne(db, sql: "SELECT lastSeq FROM journal WHERE taskId=?", arguments: [taskId]) ?? 0 }
    }
}

/// A rollback snapshot as stored.
public struct SnapshotEntry: Sendable, Codable, Equatable {
    public var executionId: String
    /// The step within the execution (see `SnapshotKey`).
    public var stepId: String
    /// What kind of step recorded it, and the layout version of `snapshot`.
    public var kind: SnapshotKind
    public var version: Int
    public var cluster: String
    public var service: String
    public var taskId: String
    public var createdAt: Date
    public var snapshot: JSONValue

    init(row: Row) throws {
        executionId = row["executionId"]
        stepId = row["stepId"]
        let kindName: String = row["kind"]
        guard let kind = SnapshotKind(rawValue: kindName) else {
            throw DatabaseError(message: "unknown snapshot kind '\(kindName)' (written by a newer delegate?)")
        }
        self.kind = kind
        version = row["version"]
        cluster = row["cluster"]
        service = row["service"]
        taskId = row["taskId"]
        createdAt = Date(timeIntervalSince1970: row["createdAt"])
        snapshot = try ProtocolV1.decoder().decode(JSONValue.self, from: Data((row["body"] as String).utf8))
    }
}

/// One task as the delegate's journal records it.
public struct JournalEntry: Sendable, Codable, Equatable {
    public var taskId: String
    public var type: String
    public var executionId: String?
    /// `running` or `finished`.
    public var state: String
    public var status: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var lines: Int64
    public var resultDelivered: Bool
    public var error: TaskError?

    init(row: Row) {
        taskId = row["taskId"]
        type = row["type"]
        executionId = row["executionId"]
        state = row["state"]
        status = row["status"]
        startedAt = Date(timeIntervalSince1970: row["startedAt"])
        finishedAt = (row["finishedAt"] as Double?).map(Date.init(timeIntervalSince1970:))
        lines = row["lastSeq"]
        resultDelivered = row["resultDelivered"]
        let code: String? = row["errorCode"]
        error = code.map { TaskError(code: $0, message: row["errorMessage"] ?? "") }
    }
}
