import DelegateProtocol
import Foundation
import Logging
import ManagerAPI
import ManagerCore
import PostgresNIO

/// The manager's durable state in PostgreSQL, shared by several manager replicas: delegates, tasks, leases and logs.
///
/// The PostgreSQL `DelegateRepository` and `TaskRepository` (and, in its
/// extensions, `CatalogRepository`, `AccessRepository` and `ExecutionRepository`);
/// the contract tests hold it to the same contract as the SQLite `ManagerStore`.
/// Leasing picks the next task in SQL: tags and selectors are `text[]` (lowercased copies, `tag_keys` and
/// `selector_keys`, since selectors match case-insensitively), matched with `@>`
/// under `FOR UPDATE SKIP LOCKED`, so replicas never hand one task to two
/// delegates and never load the queue. Log lines are stored once by
/// `(task_id, seq)` under a row lock on the task.
public final class PostgresStore: DelegateRepository, TaskRepository {
    let pool: PostgresConnectionPool
    /// Where the database is (without the password), for messages.
    public let url: DatabaseURL

    /// The advisory lock key whose holder sweeps expired leases (any constant, shared by every replica).
    static let sweepLockKey: Int64 = 0x6563_735F_7377_70  // "ecs_swp"
    /// This replica among the others (`replicas` table): the one holding the inline secrets of the tasks it queued.
    ///
    /// Stable across restarts of one replica (host and port), so a restarted
    /// replica hands out at once, to fail with `secrets.lost`, what it queued
    /// before with inline secrets it no longer holds.
    public let replicaId: String
    /// A replica not seen for this long is gone: the tasks whose inline secrets only it held may be leased elsewhere (and fail there).
    static let replicaGoneAfter: TimeInterval = 15

    /// Connects to `url` (with `password`), migrating the schema; `connections` bounds the pool (at least 2: an execution's lock holds one).
    /// `replicaId` names this replica, the same across its restarts (nil: a fresh one).
    public init(url: DatabaseURL, password: String?, connections: Int = 8, replicaId: String? = nil, logger: Logger = Logger(label: "postgres")) async throws {
        self.url = url
        self.replicaId = replicaId ?? "replica-" + UUID().uuidString.lowercased().prefix(12)
        pool = PostgresConnectionPool(configuration: try PostgresConnectionPool.configuration(url, password: password), size: max(2, connections), logger: logger)
        do {
            _ = try await PostgresMigrations.migrate(pool)
            try await seen(now: Date())
        } catch {
            pool.close()
            throw error
        }
    }

    /// Closes the connections.
    public func close() { pool.close() }

    /// Records that this replica is alive (at start, and with every lease sweep, once a second).
    func seen(now: Date) async throws {
        let t = now.timeIntervalSince1970
        try await pool.withConnection { s in
            try await s.run("""
                INSERT INTO replicas (id, started_at, last_seen) VALUES (\(replicaId), \(t), \(t))
                ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
                """)
        }
    }

    /// Closes the connections when the store goes.
    deinit { pool.close() }

    // MARK: delegates

    /// Registers (or re-registers, by instance id) a delegate, as `ManagerStore.register` does.
    public func register(_ r: RegisterRequest, now: Date, boundTo tokenName: String?, audit: RegistrationAudit?) async throws -> Registration {
        try await pool.transaction { s in
            let registration = try await Self.register(s, r, now: now)
            if let tokenName { try await Self.bind(s, delegateId: registration.delegateId, tokenName: tokenName) }
            if let audit { try await Self.insertAudit(audit.entry(delegateId: registration.delegateId, at: now), into: s) }
            return registration
        }
    }

    private static func register(_ s: PostgresSession, _ r: RegisterRequest, now: Date) async throws -> Registration {
        let t = now.timeIntervalSince1970
        let keys = r.tags.map { $0.lowercased() }
        if let row = try await s.row("SELECT id FROM delegates WHERE instance_id = \(r.instanceId) FOR UPDATE") {
            let id = try row.get("id", as: String.self)
            try await s.run("""
                UPDATE delegates SET name=\(r.name), hostname=\(r.hostname), version=\(r.version), tags=\(r.tags), tag_keys=\(keys),
                task_types=\(r.taskTypes), capacity=\(r.capacity), free_capacity=\(r.capacity), state='connected', last_seen=\(t),
                generation=generation+1 WHERE id=\(id)
                """)
            let held = Set(r.heldTaskIds ?? [])
            let unstarted = try await s.rows("""
                SELECT id FROM tasks WHERE delegate_id=\(id) AND state IN ('leased','running') AND NOT started ORDER BY queue_order FOR UPDATE
                """).map { try $0.get("id", as: String.self) }
            let requeued = unstarted.filter { !held.contains($0) }
            if !requeued.isEmpty {
                try await s.run("UPDATE tasks SET state='queued', delegate_id=NULL, lease_id=NULL, lease_expires=NULL WHERE id = ANY(\(requeued))")
            }
            return Registration(delegateId: id, requeued: requeued)
        }
        let id = "dlg-" + String(UUID().uuidString.lowercased().prefix(12))
        try await s.run("""
            INSERT INTO delegates (id, instance_id, name, hostname, version, tags, tag_keys, task_types, capacity, free_capacity, state, last_seen)
            VALUES (\(id), \(r.instanceId), \(r.name), \(r.hostname), \(r.version), \(r.tags), \(keys), \(r.taskTypes), \(r.capacity), \(r.capacity), 'connected', \(t))
            """)
        return Registration(delegateId: id, requeued: [])
    }

    /// Every task type any delegate has ever registered.
    public func knownTaskTypes() async throws -> Set<String> {
        try await pool.withConnection { s in
            Set(try await s.rows("SELECT DISTINCT unnest(task_types) AS t FROM delegates").map { try $0.get("t", as: String.self) })
        }
    }

    /// A registered delegate's routing facts, or nil.
    public func delegate(_ id: String) async throws -> DelegateRow? {
        try await pool.withConnection { s in try await s.row("SELECT * FROM delegates WHERE id=\(id)").map(DelegateRow.init(postgres:)) }
    }

    /// Marks a delegate seen (poll or heartbeat) and, for heartbeats, records its state.
    public func touch(delegateId: String, heartbeat: HeartbeatRequest?, now: Date) async throws {
        try await pool.withConnection { s in try await Self.touch(s, delegateId: delegateId, heartbeat: heartbeat, now: now) }
    }

    /// Records a heartbeat: the delegate seen with its state, and the leases it lists renewed, in one commit; returns (renewed, cancel).
    public func heartbeat(delegateId: String, _ hb: HeartbeatRequest, leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String]) {
        try await pool.transaction { s in
            try await Self.touch(s, delegateId: delegateId, heartbeat: hb, now: now)
            return try await Self.renew(s, running: hb.running, leaseSeconds: leaseSeconds, now: now)
        }
    }

    private static func touch(_ s: PostgresSession, delegateId: String, heartbeat: HeartbeatRequest?, now: Date) async throws {
        let t = now.timeIntervalSince1970
        if let hb = heartbeat {
            let state: DelegateState = hb.status == DelegateState.draining.rawValue ? .draining : .connected
            try await s.run("UPDATE delegates SET last_seen=\(t), last_heartbeat=\(t), free_capacity=\(hb.freeCapacity), state=\(state.rawValue) WHERE id=\(delegateId)")
        } else {
            try await s.run("UPDATE delegates SET last_seen=\(t), state=CASE WHEN state='draining' THEN 'draining' ELSE 'connected' END WHERE id=\(delegateId)")
        }
    }

    /// Marks a delegate unregistered.
    public func unregister(delegateId: String) async throws {
        try await pool.withConnection { s in try await s.run("UPDATE delegates SET state='unregistered' WHERE id=\(delegateId)") }
    }

    /// Every delegate, with its state as seen now.
    public func delegates(now: Date, staleAfter: TimeInterval) async throws -> [DelegateInfo] {
        try await pool.withConnection { s in
            try await s.rows("SELECT * FROM delegates ORDER BY name, id").map { try DelegateRow(postgres: $0).info(now: now, staleAfter: staleAfter) }
        }
    }

    // MARK: tasks

    /// Queues task `id`. Inline secrets and connector are only flagged, never stored.
    public func submit(_ s: SubmitTaskRequest, id: String, connector: Connector?, artifactConnector: Connector?, audit: AuditEntry?, now: Date) async throws {
        let hasSensitive = !(s.secrets ?? [:]).isEmpty || s.connector != nil
        let payload = try jsonString(s.payload)
        let connectorText = try connector.map { try jsonString($0) }
        let artifactText = try artifactConnector.map { try jsonString($0) }
        let keys = s.selectors.map { $0.lowercased() }
        // Inline secrets live in this replica's memory only: the task is leased through this replica while it lives.
        let holder: String? = hasSensitive ? replicaId : nil
        try await pool.transaction { session in
            if let audit { try await Self.insertAudit(audit, into: session) }
            try await session.run("""
                INSERT INTO tasks (id, type, selectors, selector_keys, payload, timeout_seconds, execution_id, has_sensitive, state, created_at,
                                   connector_name, connector, artifact_connector, submitted_by)
                VALUES (\(id), \(s.type), \(s.selectors), \(keys), \(payload), \(s.timeoutSeconds ?? 1800), \(s.executionId), \(hasSensitive), 'queued',
                        \(now.timeIntervalSince1970), \(connector?.name), \(connectorText), \(artifactText), \(holder))
                """)
        }
    }

    /// Leases the oldest queued task this delegate may run, or returns nil (also when `delegate` is of an earlier generation).
    ///
    /// One statement picks and takes the task: queued, of a type the delegate
    /// runs, its selectors contained in the delegate's tags (`@>`), the oldest,
    /// skipping rows another replica is leasing this instant. A task with inline
    /// secrets is handed out only through the replica that holds them, or, once
    /// that replica is gone, through any (where it fails with `secrets.lost`).
    public func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval, now: Date) async throws -> LeasedTask? {
        let leaseId = "lease-" + UUID().uuidString.lowercased()
        let keys = delegate.tags.map { $0.lowercased() }
        let expires = now.timeIntervalSince1970 + leaseSeconds
        let goneBefore = now.timeIntervalSince1970 - Self.replicaGoneAfter
        return try await pool.transaction { s in
            // Shares the delegate's row with other leases, and waits for a re-registration in flight.
            let generation = try await s.row("SELECT generation FROM delegates WHERE id=\(delegate.id) FOR SHARE").map { try $0.get("generation", as: Int64.self) }
            guard generation == delegate.generation else { return nil }
            guard let row = try await s.row("""
                WITH next AS (
                    SELECT queue_order FROM tasks
                    WHERE state = 'queued' AND \(keys)::text[] @> selector_keys AND type = ANY(\(delegate.taskTypes)::text[])
                      AND (submitted_by IS NULL OR submitted_by = \(replicaId)
                           OR NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = tasks.submitted_by AND r.last_seen >= \(goneBefore)))
                    ORDER BY queue_order LIMIT 1 FOR UPDATE SKIP LOCKED)
                UPDATE tasks t SET state='leased', delegate_id=\(delegate.id), lease_id=\(leaseId), lease_expires=\(expires), started=false
                FROM next WHERE t.queue_order = next.queue_order
                RETURNING t.id, t.type, t.selectors, t.payload, t.timeout_seconds, t.execution_id, t.has_sensitive, t.connector, t.artifact_connector, t.created_at
                """) else { return nil }
            let envelope = TaskEnvelope(
                taskId: try row.get("id"), leaseId: leaseId, type: try row.get("type"), selectors: try row.get("selectors"),
                timeoutSeconds: try row.get("timeout_seconds", as: Int.self), executionId: try row.get("execution_id"),
                payload: try jsonValue(try row.get("payload", as: String.self)))
            let connector: Connector? = try row.get("connector", as: String?.self).map { try jsonValue($0) }
            let artifact: Connector? = try row.get("artifact_connector", as: String?.self).map { try jsonValue($0) }
            return LeasedTask(
                envelope: envelope, hasInlineSecrets: try row.get("has_sensitive"), connector: connector, artifactConnector: artifact, queuedAt: try row.date("created_at"))
        }
    }

    /// What a heartbeat does to leases: renews those the delegate still holds; returns (renewed, cancel).
    public func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String]) {
        try await pool.transaction { s in try await Self.renew(s, running: running, leaseSeconds: leaseSeconds, now: now) }
    }

    private static func renew(_ s: PostgresSession, running: [RunningTask], leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String]) {
        let expires = now.timeIntervalSince1970 + leaseSeconds
        var renewed: [String] = []
        var cancel: [String] = []
        for r in running {
            guard let row = try await s.row("SELECT state, lease_id, cancel_requested FROM tasks WHERE id=\(r.taskId) FOR UPDATE"),
                  try row.get("lease_id", as: String?.self) == r.leaseId else {
                cancel.append(r.taskId)  // not this delegate's lease any more
                continue
            }
            if TaskState(rawValue: try row.get("state", as: String.self))?.isLeased == true {
                try await s.run("UPDATE tasks SET lease_expires=\(expires), started=true, state='running' WHERE id=\(r.taskId)")
                renewed.append(r.taskId)
            }
            if try row.get("cancel_requested", as: Bool.self) { cancel.append(r.taskId) }
        }
        return (renewed, cancel)
    }

    /// Records a task's result; repeat-safe for the same lease.
    @discardableResult
    public func finish(taskId: String, leaseId: String, result: TaskResult, now: Date) async throws -> Bool {
        let outputs = try jsonString(result.outputs)
        let snapshot = try result.rollbackSnapshot.map { try jsonString($0) }
        return try await pool.transaction { s in
            guard let row = try await s.row("SELECT lease_id, state FROM tasks WHERE id=\(taskId) FOR UPDATE") else { throw LeaseError.unknownTask }
            guard try row.get("lease_id", as: String?.self) == leaseId else { throw LeaseError.wrongLease }
            if TaskState(rawValue: try row.get("state", as: String.self))?.isFinished == true { return false }
            try await s.run("""
                UPDATE tasks SET state=\(result.status.rawValue), finished_at=\(now.timeIntervalSince1970), outputs=\(outputs),
                error_code=\(result.error?.code), error_message=\(result.error?.message), snapshot=\(snapshot), lease_expires=NULL WHERE id=\(taskId)
                """)
            return true
        }
    }

    /// Asks for a task to be cancelled: a queued one ends at once, a running one at its delegate's next call.
    public func requestCancel(taskId: String, now: Date) async throws -> CancelOutcome {
        try await pool.transaction { s in
            guard let row = try await s.row("SELECT state FROM tasks WHERE id=\(taskId) FOR UPDATE") else { return .notFound }
            let state = TaskState(rawValue: try row.get("state", as: String.self)) ?? .failed
            if state.isFinished { return .alreadyFinished(state) }
            if state == .queued {
                try await s.run("""
                    UPDATE tasks SET state='cancelled', finished_at=\(now.timeIntervalSince1970), error_code='cancelled',
                    error_message='cancelled before a delegate took it' WHERE id=\(taskId)
                    """)
                return .cancelled
            }
            try await s.run("UPDATE tasks SET cancel_requested=true WHERE id=\(taskId)")
            return .requested
        }
    }

    /// Ends or requeues tasks whose lease ran out; returns the ids that changed.
    ///
    /// Only the replica that gets the sweep's advisory lock sweeps (the others
    /// return nothing at once); rows being changed elsewhere are skipped, not waited for.
    public func expireLeases(now: Date) async throws -> [String] {
        let t = now.timeIntervalSince1970
        try await seen(now: now)
        return try await pool.transaction { s in
            guard try await s.row("SELECT pg_try_advisory_xact_lock(\(Self.sweepLockKey)) AS held")?.get("held", as: Bool.self) == true else { return [] }
            let rows = try await s.rows("""
                SELECT id, started, delegate_id FROM tasks WHERE state IN ('leased','running') AND lease_expires < \(t) FOR UPDATE SKIP LOCKED
                """)
            var ids: [String] = []
            for row in rows {
                let id = try row.get("id", as: String.self)
                if try row.get("started", as: Bool.self) {
                    let message = "delegate \(try row.get("delegate_id", as: String?.self) ?? "?") stopped renewing the task's lease"
                    try await s.run("UPDATE tasks SET state='failed', finished_at=\(t), error_code='lease.expired', error_message=\(message) WHERE id=\(id)")
                } else {
                    try await s.run("UPDATE tasks SET state='queued', delegate_id=NULL, lease_id=NULL, lease_expires=NULL WHERE id=\(id)")
                }
                ids.append(id)
            }
            return ids
        }
    }

    /// Extends every live lease to `seconds` from now (after a restart, so an outage does not expire them).
    public func extendLiveLeases(by seconds: TimeInterval, now: Date) async throws {
        try await pool.withConnection { s in
            try await s.run("UPDATE tasks SET lease_expires=GREATEST(lease_expires, \(now.timeIntervalSince1970 + seconds)) WHERE state IN ('leased','running')")
        }
    }

    /// One task's report, or nil.
    public func task(_ id: String) async throws -> TaskReport? {
        try await pool.withConnection { s in try await s.row("SELECT * FROM tasks WHERE id=\(id)").map(Self.taskReport) }
    }

    /// The most recent tasks, newest first.
    public func tasks(limit: Int) async throws -> [TaskReport] {
        try await pool.withConnection { s in try await s.rows("SELECT * FROM tasks ORDER BY queue_order DESC LIMIT \(max(0, limit))").map(Self.taskReport) }
    }

    /// How many tasks there are, by type and state.
    public func taskCounts() async throws -> [TaskCount] {
        try await pool.withConnection { s in
            try await s.rows("SELECT type, state, count(*) AS n FROM tasks GROUP BY type, state").map {
                TaskCount(type: try $0.get("type", as: String.self), state: try $0.get("state", as: String.self), count: try $0.get("n", as: Int.self))
            }
        }
    }

    // MARK: logs

    /// Stores a batch of lines exactly once, in order; returns the new acknowledgement.
    ///
    /// The task's row is locked, so batches of one task sent to two replicas
    /// are applied one after the other; lines at or below the acknowledged seq
    /// are skipped, a line after a gap is not stored (the delegate resends from
    /// the gap), and `ON CONFLICT DO NOTHING` keeps `(task_id, seq)` unique.
    public func appendLogs(taskId: String, batch: LogBatch) async throws -> LogAck {
        try await pool.transaction { s in
            guard let row = try await s.row("SELECT lease_id, acked_through, cancel_requested FROM tasks WHERE id=\(taskId) FOR UPDATE") else {
                throw LeaseError.unknownTask
            }
            guard try row.get("lease_id", as: String?.self) == batch.leaseId else { throw LeaseError.wrongLease }
            var acked = try row.get("acked_through", as: Int64.self)
            var take: [LogLine] = []
            for line in batch.lines.sorted(by: { $0.seq < $1.seq }) {
                if line.seq <= acked { continue }
                if line.seq != acked + 1 { break }
                take.append(line)
                acked = line.seq
            }
            if !take.isEmpty {
                try await s.run("""
                    INSERT INTO logs (task_id, seq, time, level, unit, text)
                    SELECT \(taskId), * FROM unnest(\(take.map(\.seq))::bigint[], \(take.map { $0.time.timeIntervalSince1970 })::float8[],
                                                    \(take.map(\.level))::text[], \(take.map(\.unit))::text[], \(take.map(\.text))::text[])
                    ON CONFLICT (task_id, seq) DO NOTHING
                    """)
            }
            try await s.run("UPDATE tasks SET acked_through=\(acked), started=true, state=CASE WHEN state='leased' THEN 'running' ELSE state END WHERE id=\(taskId)")
            return LogAck(ackedThroughSeq: acked, cancel: try row.get("cancel_requested"))
        }
    }

    /// Log lines of a task with seq greater than `after`.
    public func logs(taskId: String, after: Int64, limit: Int) async throws -> [LogLine] {
        try await pool.withConnection { s in
            try await s.rows("SELECT seq, time, level, unit, text FROM logs WHERE task_id=\(taskId) AND seq>\(after) ORDER BY seq LIMIT \(max(0, limit))").map {
                LogLine(seq: try $0.get("seq"), time: try $0.date("time"), level: try $0.get("level"), unit: try $0.get("unit"), text: try $0.get("text"))
            }
        }
    }

    /// A task row as its report.
    static func taskReport(_ row: PostgresRandomAccessRow) throws -> TaskReport {
        let errorCode = try row.get("error_code", as: String?.self)
        return TaskReport(TaskInfo(
            taskId: try row.get("id"), type: try row.get("type"), selectors: try row.get("selectors"), state: try row.get("state"),
            delegateId: try row.get("delegate_id"), createdAt: try row.date("created_at"), finishedAt: try row.optionalDate("finished_at"),
            outputs: try row.get("outputs", as: String?.self).map { try jsonValue($0) },
            error: try errorCode.map { TaskError(code: $0, message: try row.get("error_message", as: String?.self) ?? "") },
            rollbackSnapshot: try row.get("snapshot", as: String?.self).map { try jsonValue($0) },
            executionId: try row.get("execution_id"), waitingReason: nil, logLines: try row.get("acked_through", as: Int64.self)),
            connectorName: try row.get("connector_name"))
    }
}

extension DelegateRow {
    /// A `delegates` row of the PostgreSQL store.
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.get("id"), name: try row.get("name"), hostname: try row.get("hostname"), version: try row.get("version"),
            tags: try row.get("tags"), taskTypes: try row.get("task_types"),
            capacity: try row.get("capacity", as: Int.self), freeCapacity: try row.get("free_capacity", as: Int.self),
            state: DelegateState(rawValue: try row.get("state", as: String.self)) ?? .connected,
            lastSeen: try row.date("last_seen"), lastHeartbeat: try row.optionalDate("last_heartbeat"),
            generation: try row.get("generation"))
    }
}
