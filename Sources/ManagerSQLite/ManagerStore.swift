import DelegateProtocol
import Foundation
import GRDB
import ManagerAPI
import ManagerCore
import SQLiteSupport

/// The manager's durable state in one SQLite file: delegates, tasks, leases, log lines, connectors and sealed secrets.
///
/// The SQLite `DelegateRepository` and `TaskRepository` (and, in its extensions,
/// `CatalogRepository`, `AccessRepository` and `ExecutionRepository`). Inline task secrets and connectors never
/// reach it (`InlineSecrets` keeps them in memory); stored secrets arrive
/// sealed (`SecretBox`), so no secret value is ever written in the clear.
public final class ManagerStore: DelegateRepository, TaskRepository {
    let db: DatabasePool
    /// The file, with its checkpoints off the commit path.
    let file: WALDatabase

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String) throws {
        file = try WALDatabase(path: path)
        db = file.pool
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE delegates (
                    id TEXT PRIMARY KEY,
                    instanceId TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    hostname TEXT NOT NULL,
                    version TEXT NOT NULL,
                    tags TEXT NOT NULL,
                    taskTypes TEXT NOT NULL,
                    capacity INTEGER NOT NULL,
                    freeCapacity INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    lastSeen REAL NOT NULL,
                    lastHeartbeat REAL
                );
                CREATE TABLE tasks (
                    queueOrder INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    selectors TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    timeoutSeconds INTEGER NOT NULL,
                    executionId TEXT,
                    hasSensitive INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    delegateId TEXT,
                    leaseId TEXT,
                    leaseExpires REAL,
                    started INTEGER NOT NULL DEFAULT 0,
                    cancelRequested INTEGER NOT NULL DEFAULT 0,
                    createdAt REAL NOT NULL,
                    finishedAt REAL,
                    outputs TEXT,
                    errorCode TEXT,
                    errorMessage TEXT,
                    snapshot TEXT,
                    ackedThrough INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX tasks_state ON tasks(state);
                CREATE TABLE logs (
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
        m.registerMigration("v2: registration generation") { db in
            // Bumped by every registration, so a long poll parked by an earlier
            // process of the same instance knows it is stale and leases nothing.
            try db.execute(sql: "ALTER TABLE delegates ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")
        }
        m.registerMigration("v3: connectors and sealed secrets") { db in
            // A task keeps the stored connector it was submitted with (names of secrets, never values).
            try db.execute(sql: """
                ALTER TABLE tasks ADD COLUMN connectorName TEXT;
                ALTER TABLE tasks ADD COLUMN connector TEXT;
                CREATE TABLE connectors (
                    name TEXT PRIMARY KEY,
                    spec TEXT NOT NULL,
                    createdAt REAL NOT NULL,
                    updatedAt REAL NOT NULL
                );
                CREATE TABLE secrets (
                    name TEXT PRIMARY KEY,
                    sealed BLOB NOT NULL,
                    createdAt REAL NOT NULL,
                    updatedAt REAL NOT NULL
                );
                """)
        }
        registerExecutionMigrations(&m)
        m.registerMigration("v5: a task's artifact connector") { db in
            // The stored registry connector a task's artifact is resolved with (names of secrets, never values).
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN artifactConnector TEXT")
        }
        registerAccessMigrations(&m)
        registerNotificationMigrations(&m)
        return m
    }

    // MARK: delegates

    /// Registers (or re-registers, by instance id) a delegate.
    ///
    /// A re-registration starts a new generation (parked polls of the earlier
    /// process lease nothing more) and puts back in the queue every task leased to
    /// this delegate that was never started and is not in `heldTaskIds`: the
    /// earlier process took it and died before running it.
    public func register(_ r: RegisterRequest, now: Date, boundTo tokenName: String?, audit: RegistrationAudit?) async throws -> Registration {
        try await db.write { db in
            let registration = try Self.register(db, r, now: now)
            if let tokenName { try Self.bind(db, delegateId: registration.delegateId, tokenName: tokenName) }
            if let audit { try Self.insertAudit(audit.entry(delegateId: registration.delegateId, at: now), into: db) }
            return registration
        }
    }

    private static func register(_ db: Database, _ r: RegisterRequest, now: Date) throws -> Registration {
        let tags = try jsonString(r.tags)
        let types = try jsonString(r.taskTypes)
        if let id = try String.fetchOne(db, sql: "SELECT id FROM delegates WHERE instanceId = ?", arguments: [r.instanceId]) {
            try db.execute(
                sql: """
                    UPDATE delegates SET name=?, hostname=?, version=?, tags=?, taskTypes=?, capacity=?, freeCapacity=?,
                    state='connected', lastSeen=?, generation=generation+1 WHERE id=?
                    """,
                arguments: [r.name, r.hostname, r.version, tags, types, r.capacity, r.capacity, now.timeIntervalSince1970, id])
            let held = Set(r.heldTaskIds ?? [])
            let unstarted = try String.fetchAll(
                db, sql: "SELECT id FROM tasks WHERE delegateId=? AND state IN ('leased','running') AND started=0 ORDER BY queueOrder", arguments: [id])
            let requeued = unstarted.filter { !held.contains($0) }
            for taskId in requeued {
                try db.execute(sql: "UPDATE tasks SET state='queued', delegateId=NULL, leaseId=NULL, leaseExpires=NULL WHERE id=?", arguments: [taskId])
            }
            return Registration(delegateId: id, requeued: requeued)
        }
        let id = "dlg-" + UUID().uuidString.lowercased().prefix(12)
        try db.execute(
            sql: """
                INSERT INTO delegates (id, instanceId, name, hostname, version, tags, taskTypes, capacity, freeCapacity, state, lastSeen)
                VALUES (?,?,?,?,?,?,?,?,?,'connected',?)
                """,
            arguments: [String(id), r.instanceId, r.name, r.hostname, r.version, tags, types, r.capacity, r.capacity, now.timeIntervalSince1970])
        return Registration(delegateId: String(id), requeued: [])
    }

    /// Every task type any delegate has ever registered, whatever its state now.
    public func knownTaskTypes() async throws -> Set<String> {
        try await db.read { db in
            var types: Set<String> = []
            for text in try String.fetchAll(db, sql: "SELECT taskTypes FROM delegates") {
                types.formUnion(try jsonValue(text) as [String])
            }
            return types
        }
    }

    /// A registered delegate's routing facts, or nil.
    public func delegate(_ id: String) async throws -> DelegateRow? {
        try await db.read { db in try DelegateRow.fetch(db, id: id) }
    }

    /// Marks a delegate seen (poll or heartbeat) and, for heartbeats, records its state.
    public func touch(delegateId: String, heartbeat: HeartbeatRequest?, now: Date) async throws {
        try await db.write { db in try Self.touch(db, delegateId: delegateId, heartbeat: heartbeat, now: now) }
    }

    /// Records a heartbeat: the delegate seen with its state, and the leases it lists renewed, in one commit; returns (renewed, cancel).
    public func heartbeat(delegateId: String, _ hb: HeartbeatRequest, leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String]) {
        try await db.write { db in
            try Self.touch(db, delegateId: delegateId, heartbeat: hb, now: now)
            return try Self.renew(db, running: hb.running, leaseSeconds: leaseSeconds, now: now)
        }
    }

    private static func touch(_ db: Database, delegateId: String, heartbeat: HeartbeatRequest?, now: Date) throws {
        if let hb = heartbeat {
            let state: DelegateState = hb.status == DelegateState.draining.rawValue ? .draining : .connected
            try db.execute(
                sql: "UPDATE delegates SET lastSeen=?, lastHeartbeat=?, freeCapacity=?, state=? WHERE id=?",
                arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, hb.freeCapacity, state.rawValue, delegateId])
        } else {
            try db.execute(sql: "UPDATE delegates SET lastSeen=?, state=CASE WHEN state='draining' THEN 'draining' ELSE 'connected' END WHERE id=?", arguments: [now.timeIntervalSince1970, delegateId])
        }
    }

    /// Marks a delegate unregistered.
    public func unregister(delegateId: String) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE delegates SET state='unregistered' WHERE id=?", arguments: [delegateId])
        }
    }

    /// Every delegate, with its state as seen now (`disconnected` when silent for `staleAfter`).
    public func delegates(now: Date, staleAfter: TimeInterval) async throws -> [DelegateInfo] {
        try await db.read { db in
            try DelegateRow.fetchAll(db).map { $0.info(now: now, staleAfter: staleAfter) }
        }
    }

    // MARK: tasks

    /// Queues task `id`. Inline secrets and connector are only flagged, never stored.
    public func submit(_ s: SubmitTaskRequest, id: String, connector: Connector?, artifactConnector: Connector?, audit: AuditEntry?, now: Date) async throws {
        let hasSensitive = !(s.secrets ?? [:]).isEmpty || s.connector != nil
        try await db.write { db in
            if let audit { try Self.insertAudit(audit, into: db) }
            try db.execute(
                sql: """
                    INSERT INTO tasks (id, type, selectors, payload, timeoutSeconds, executionId, hasSensitive, state, createdAt, connectorName, connector, artifactConnector)
                    VALUES (?,?,?,?,?,?,?,'queued',?,?,?,?)
                    """,
                arguments: [id, s.type, try jsonString(s.selectors), try jsonString(s.payload), s.timeoutSeconds ?? 1800, s.executionId, hasSensitive,
                            now.timeIntervalSince1970, connector?.name, try connector.map { try jsonString($0) }, try artifactConnector.map { try jsonString($0) }])
        }
    }

    /// Leases the oldest queued task this delegate may run, or returns nil.
    ///
    /// Nil too when the delegate has registered again since `delegate` was read:
    /// the caller is a poll of an earlier process.
    public func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval, now: Date) async throws -> LeasedTask? {
        try await db.write { db in
            let generation = try Int64.fetchOne(db, sql: "SELECT generation FROM delegates WHERE id=?", arguments: [delegate.id])
            guard generation == delegate.generation else { return nil }
            let rows = try Row.fetchAll(db, sql: "SELECT id, type, selectors, payload, timeoutSeconds, executionId, hasSensitive, connector, artifactConnector, createdAt FROM tasks WHERE state='queued' ORDER BY queueOrder")
            for row in rows {
                let selectors: [String] = try jsonValue(row["selectors"])
                let type: String = row["type"]
                guard Selectors.satisfied(selectors, by: delegate.tags), delegate.taskTypes.contains(type) else { continue }
                let id: String = row["id"]
                let leaseId = "lease-" + UUID().uuidString.lowercased()
                try db.execute(
                    sql: "UPDATE tasks SET state='leased', delegateId=?, leaseId=?, leaseExpires=?, started=0 WHERE id=?",
                    arguments: [delegate.id, leaseId, now.timeIntervalSince1970 + leaseSeconds, id])
                let envelope = TaskEnvelope(
                    taskId: id, leaseId: leaseId, type: type, selectors: selectors, timeoutSeconds: row["timeoutSeconds"],
                    executionId: row["executionId"], payload: try jsonValue(row["payload"]))
                let connector: Connector? = try (row["connector"] as String?).map { try jsonValue($0) }
                let artifactConnector: Connector? = try (row["artifactConnector"] as String?).map { try jsonValue($0) }
                return LeasedTask(
                    envelope: envelope, hasInlineSecrets: row["hasSensitive"], connector: connector, artifactConnector: artifactConnector,
                    queuedAt: Date(timeIntervalSince1970: row["createdAt"]))
            }
            return nil
        }
    }

    /// What a heartbeat does to leases: renews those the delegate still holds; returns (renewed, cancel).
    public func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String]) {
        try await db.write { db in try Self.renew(db, running: running, leaseSeconds: leaseSeconds, now: now) }
    }

    private static func renew(_ db: Database, running: [RunningTask], leaseSeconds: TimeInterval, now: Date) throws -> ([String], [String]) {
        var renewed: [String] = []
        var cancel: [String] = []
        for r in running {
            let row = try Row.fetchOne(db, sql: "SELECT state, leaseId, cancelRequested FROM tasks WHERE id=?", arguments: [r.taskId])
            guard let row, (row["leaseId"] as String?) == r.leaseId else {
                cancel.append(r.taskId)  // not this delegate's lease any more
                continue
            }
            if TaskState(rawValue: row["state"])?.isLeased == true {
                try db.execute(
                    sql: "UPDATE tasks SET leaseExpires=?, started=1, state='running' WHERE id=?",
                    arguments: [now.timeIntervalSince1970 + leaseSeconds, r.taskId])
                renewed.append(r.taskId)
            }
            if (row["cancelRequested"] as Bool?) == true { cancel.append(r.taskId) }
        }
        return (renewed, cancel)
    }

    /// Stores a batch of log lines exactly once, in order; returns the new acknowledgement.
    ///
    /// Lines at or below the acknowledged seq are duplicates and skipped; a line
    /// after a gap is not stored (the delegate resends from the gap).
    public func appendLogs(taskId: String, batch: LogBatch) async throws -> LogAck {
        try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT leaseId, ackedThrough, cancelRequested FROM tasks WHERE id=?", arguments: [taskId]) else {
                throw LeaseError.unknownTask
            }
            guard (row["leaseId"] as String?) == batch.leaseId else { throw LeaseError.wrongLease }
            var acked: Int64 = row["ackedThrough"]
            let stmt = try db.cachedStatement(sql: "INSERT OR IGNORE INTO logs (taskId, seq, time, level, unit, text) VALUES (?,?,?,?,?,?)")
            for line in batch.lines.sorted(by: { $0.seq < $1.seq }) {
                if line.seq <= acked { continue }
                if line.seq != acked + 1 { break }
                try stmt.execute(arguments: [taskId, line.seq, line.time.timeIntervalSince1970, line.level, line.unit, line.text])
                acked = line.seq
            }
            try db.execute(
                sql: "UPDATE tasks SET ackedThrough=?, started=1, state=CASE WHEN state='leased' THEN 'running' ELSE state END WHERE id=?",
                arguments: [acked, taskId])
            return LogAck(ackedThroughSeq: acked, cancel: row["cancelRequested"])
        }
    }

    /// Records a task's result; repeat-safe for the same lease.
    @discardableResult
    public func finish(taskId: String, leaseId: String, result: TaskResult, now: Date) async throws -> Bool {
        try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT leaseId, state FROM tasks WHERE id=?", arguments: [taskId]) else {
                throw LeaseError.unknownTask
            }
            guard (row["leaseId"] as String?) == leaseId else { throw LeaseError.wrongLease }
            if TaskState(rawValue: row["state"])?.isFinished == true { return false }
            try db.execute(
                sql: """
                    UPDATE tasks SET state=?, finishedAt=?, outputs=?, errorCode=?, errorMessage=?, snapshot=?, leaseExpires=NULL WHERE id=?
                    """,
                arguments: [result.status.rawValue, now.timeIntervalSince1970, try jsonString(result.outputs), result.error?.code, result.error?.message,
                            try result.rollbackSnapshot.map { try jsonString($0) }, taskId])
            return true
        }
    }

    /// Asks for a task to be cancelled: a queued one ends at once, a running one at its delegate's next call.
    public func requestCancel(taskId: String, now: Date) async throws -> CancelOutcome {
        try await db.write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT state FROM tasks WHERE id=?", arguments: [taskId]) else { return .notFound }
            let state = TaskState(rawValue: text) ?? .failed
            if state.isFinished { return .alreadyFinished(state) }
            if state == .queued {
                try db.execute(sql: "UPDATE tasks SET state='cancelled', finishedAt=?, errorCode='cancelled', errorMessage='cancelled before a delegate took it' WHERE id=?", arguments: [now.timeIntervalSince1970, taskId])
                return .cancelled
            }
            try db.execute(sql: "UPDATE tasks SET cancelRequested=1 WHERE id=?", arguments: [taskId])
            return .requested
        }
    }

    /// Ends or requeues tasks whose lease ran out; returns the ids that changed.
    ///
    /// A task the delegate never reported as started goes back to the queue; one
    /// that had started fails (`lease.expired`): a deployment is never silently re-run.
    public func expireLeases(now: Date) async throws -> [String] {
        try await db.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, started, delegateId FROM tasks WHERE state IN ('leased','running') AND leaseExpires < ?", arguments: [now.timeIntervalSince1970])
            var ids: [String] = []
            for row in rows {
                let id: String = row["id"]
                if (row["started"] as Bool) {
                    try db.execute(
                        sql: "UPDATE tasks SET state='failed', finishedAt=?, errorCode='lease.expired', errorMessage=? WHERE id=?",
                        arguments: [now.timeIntervalSince1970, "delegate \(row["delegateId"] as String? ?? "?") stopped renewing the task's lease", id])
                } else {
                    try db.execute(sql: "UPDATE tasks SET state='queued', delegateId=NULL, leaseId=NULL, leaseExpires=NULL WHERE id=?", arguments: [id])
                }
                ids.append(id)
            }
            return ids
        }
    }

    /// Extends every live lease by `seconds` (after a manager restart, so an outage does not expire them).
    public func extendLiveLeases(by seconds: TimeInterval, now: Date) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE tasks SET leaseExpires=? WHERE state IN ('leased','running')", arguments: [now.timeIntervalSince1970 + seconds])
        }
    }

    /// One task's report, or nil.
    public func task(_ id: String) async throws -> TaskReport? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tasks WHERE id=?", arguments: [id]).map(taskInfo)
        }
    }

    /// The most recent tasks, newest first.
    public func tasks(limit: Int) async throws -> [TaskReport] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tasks ORDER BY queueOrder DESC LIMIT ?", arguments: [limit]).map(taskInfo)
        }
    }

    /// How many tasks there are, by type and state.
    public func taskCounts() async throws -> [TaskCount] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT type, state, count(*) AS n FROM tasks GROUP BY type, state").map {
                TaskCount(type: $0["type"], state: $0["state"], count: $0["n"])
            }
        }
    }

    /// Log lines of a task with seq greater than `after`.
    public func logs(taskId: String, after: Int64, limit: Int) async throws -> [LogLine] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, time, level, unit, text FROM logs WHERE taskId=? AND seq>? ORDER BY seq LIMIT ?", arguments: [taskId, after, limit]).map {
                LogLine(seq: $0["seq"], time: Date(timeIntervalSince1970: $0["time"]), level: $0["level"], unit: $0["unit"], text: $0["text"])
            }
        }
    }

    private func taskInfo(_ row: Row) throws -> TaskReport {
        let errorCode: String? = row["errorCode"]
        return TaskReport(TaskInfo(
            taskId: row["id"], type: row["type"], selectors: try jsonValue(row["selectors"]), state: row["state"], delegateId: row["delegateId"],
            createdAt: Date(timeIntervalSince1970: row["createdAt"]), finishedAt: (row["finishedAt"] as Double?).map(Date.init(timeIntervalSince1970:)),
            outputs: try (row["outputs"] as String?).map { try jsonValue($0) },
            error: errorCode.map { TaskError(code: $0, message: row["errorMessage"] ?? "") },
            rollbackSnapshot: try (row["snapshot"] as String?).map { try jsonValue($0) },
            executionId: row["executionId"], waitingReason: nil, logLines: row["ackedThrough"]),
            connectorName: row["connectorName"])
    }
}

extension DelegateRow {
    static func fetch(_ db: Database, id: String) throws -> DelegateRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM delegates WHERE id=?", arguments: [id]).map(Self.init(row:))
    }

    static func fetchAll(_ db: Database) throws -> [DelegateRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM delegates ORDER BY name, id").map(Self.init(row:))
    }

    /// A `delegates` row of the SQLite store.
    init(row: Row) throws {
        self.init(
            id: row["id"], name: row["name"], hostname: row["hostname"], version: row["version"],
            tags: try jsonValue(row["tags"]), taskTypes: try jsonValue(row["taskTypes"]),
            capacity: row["capacity"], freeCapacity: row["freeCapacity"],
            state: DelegateState(rawValue: row["state"]) ?? .connected,
            lastSeen: Date(timeIntervalSince1970: row["lastSeen"]),
            lastHeartbeat: (row["lastHeartbeat"] as Double?).map(Date.init(timeIntervalSince1970:)),
            generation: row["generation"])
    }
}
