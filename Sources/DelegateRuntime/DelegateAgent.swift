import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import ManagerClient
import ServiceLifecycle
import Synchronization

/// The delegate's version, sent at registration.
public let delegateVersion = "0.1.0"

/// The long-running delegate: registers, heartbeats, long-polls, runs tasks, ships logs and results.
///
/// A `Service`: `run()` returns after a graceful shutdown (SIGTERM) has let
/// running tasks finish (up to the grace period), flushed logs and results,
/// and unregistered.
public final class DelegateAgent: Service, Sendable {
    let config: DelegateConfig
    let store: DelegateStore
    let client: ManagerClient
    let logger: Logger
    let handlers: [String: any TaskHandler]
    let masker: SecretMasker
    /// Secrets every task's log masks too (the delegate token).
    let globalSecrets: [String]
    let notify: @Sendable (String) -> Void
    /// The delegate's metrics (`/metrics` on the status socket).
    public let metrics: DelegateMetrics
    let gate: SpoolGate
    private let state = Mutex(AgentState())
    private let capacityFreed = Wakeup()
    private let startedAt = Date()

    struct AgentState {
        var registration: RegisterResponse?
        var running: [String: RunningEntry] = [:]
        var draining = false
        var lastHeartbeatOK: Date?
        var connected = false
        var lastError: String?
        var heartbeatFailures = 0
        /// Why the manager refused this delegate's token (401, or 403 at registration); set once, and the delegate stops taking tasks.
        var refused: String?
    }

    struct RunningEntry {
        var leaseId: String
        var type: String
        var log: TaskLog
        var task: Task<Void, Never>?
        var startedAt: Date
    }

    /// Creates an agent. `notify` receives sd_notify-style messages (`READY=1`, ...).
    public init(
        config: DelegateConfig, token: String, store: DelegateStore, http: HTTPClient, logger: Logger,
        handlers: [any TaskHandler] = [EchoHandler()], metrics: DelegateMetrics = DelegateMetrics(),
        notify: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.metrics = metrics
        self.gate = SpoolGate(capacity: config.spoolMaxLines, held: (try? store.unacknowledgedCount()) ?? 0, metrics: metrics, logger: logger)
        self.config = config
        self.store = store
        var client = ManagerClient(baseURLs: config.managerEndpoints, token: token, http: http)
        client.callTimeout = .seconds(clamping: config.requestTimeoutSeconds, to: 0.1...3600)
        self.client = client
        self.logger = logger
        // The delegate's one backoff decides when to retry; the client has already moved on to the next manager URL.
        client.endpoints.onMove { from, to, why in
            logger.warning("manager unreachable; moving to the next manager URL", metadata: ["from": "\(from)", "to": "\(to)", "reason": "\(why)"])
        }
        self.handlers = Dictionary(handlers.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
        self.masker = SecretMasker(secrets: [token])
        self.globalSecrets = [token]
        self.notify = notify
    }

    // MARK: run

    public func run() async throws {
        let instanceId = try store.instanceId()
        try recoverInterrupted()
        let recovery = Task { await self.redeliverLeftovers() }
        let pruning = Task { await self.pruneLoop() }
        guard await register(instanceId: instanceId) else {
            recovery.cancel()
            pruning.cancel()
            if let why = state.withLock({ $0.refused }) { throw ManagerRefusedToken(reason: why) }
            return
        }
        notify("READY=1\nSTATUS=registered with \(client.baseURL)")
        let heartbeat = Task { await self.heartbeatLoop(instanceId: instanceId) }
        await withGracefulShutdownHandler {
            // The long poll in flight is cancelled too: a task leased in that instant is
            // never started, and the manager requeues it when its lease expires.
            await cancelWhenGracefulShutdown {
                await self.pollLoop(instanceId: instanceId)
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.draining = true }
            self.capacityFreed.signal()
        }
        // Draining: no new tasks; let running ones finish within the grace period.
        notify("STOPPING=1\nSTATUS=draining: waiting for running tasks")
        logger.info("shutting down: waiting for running tasks", metadata: ["running": "\(runningCount)", "graceSeconds": "\(config.shutdownGraceSeconds)"])
        await sendHeartbeat(instanceId: instanceId)
        let deadline = ContinuousClock.now + .seconds(clamping: config.shutdownGraceSeconds, to: 0...86_400)
        while runningCount > 0 && ContinuousClock.now < deadline {
            await capacityFreed.wait(timeout: .milliseconds(200))
        }
        if runningCount > 0 {
            logger.warning("grace period over: cancelling running tasks", metadata: ["running": "\(runningCount)"])
            cancelRunningTasks()
            for t in state.withLock({ $0.running.values.compactMap(\.task) }) { await t.value }
        }
        heartbeat.cancel()
        pruning.cancel()
        await recovery.value
        if let id = state.withLock({ $0.registration?.delegateId }) {
            do {
                try await client.unregister(delegateId: id, reason: "shutdown")
            } catch {
                logger.warning("could not unregister: \(error)")
            }
        }
        logger.info("stopped")
        if let why = state.withLock({ $0.refused }) { throw ManagerRefusedToken(reason: why) }
    }

    /// Tasks in flight.
    public var runningCount: Int { state.withLock { $0.running.count } }

    // MARK: registration

    /// Registers, retrying with backoff and jitter until the manager answers; false if shut down first.
    func register(instanceId: String) async -> Bool {
        var attempt = 0
        // Tasks this instance began and must still report: the manager leaves those leased to us,
        // and puts back in the queue anything else it had handed the previous process.
        let held = ((try? store.tasksWithSpool().map(\.taskId)) ?? []) + ((try? store.undeliveredResults().map(\.taskId)) ?? [])
        let request = RegisterRequest(
            name: config.name, hostname: ProcessInfo.processInfo.hostName, version: delegateVersion, tags: config.tags,
            capacity: config.capacity, taskTypes: handlers.keys.sorted(), instanceId: instanceId,
            heldTaskIds: Array(Set(held)).sorted())
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let (r, adjusted) = ManagerTuning.clamp(try await client.register(request))
                if !adjusted.isEmpty {
                    logger.warning("the manager's tuning is out of range; using the nearest safe values", metadata: ["adjusted": "\(adjusted.joined(separator: ", "))"])
                }
                state.withLock {
                    $0.registration = r
                    $0.connected = true
                    $0.lastError = nil
                }
                logger.info("registered", metadata: ["delegateId": "\(r.delegateId)", "manager": "\(client.baseURL)", "tags": "\(config.tags)"])
                return true
            } catch let e as ManagerClientError where e.status == 401 || e.status == 403 {
                // Retrying cannot help: the token is unknown or revoked, or may not register like this.
                tokenRefused(e, during: "registration")
                return false
            } catch {
                attempt += 1
                let delay = backoff(attempt: attempt, base: .milliseconds(250), cap: .seconds(30))
                noteFailure("registration failed", error: error, retryIn: delay)
                try? await Task.sleep(for: delay)
            }
        }
        return false
    }

    private func noteFailure(_ what: String, error: Error, retryIn: Duration) {
        let text = masker.apply("\(error)")
        state.withLock {
            $0.connected = false
            $0.lastError = "\(what): \(text)"
        }
        logger.error("\(what); retrying", metadata: ["error": "\(text)", "retryInMs": "\(retryIn.components.seconds * 1000 + retryIn.components.attoseconds / 1_000_000_000_000_000)"])
    }

    private var tuning: RegisterResponse? { state.withLock { $0.registration } }

    /// Settings for log shipping, as the manager tuned them.
    var shipping: ShippingSettings {
        var s = ShippingSettings()
        if let r = tuning {
            s.flushInterval = .milliseconds(max(10, r.logFlushMillis))
            s.maxLines = max(1, r.logBatchMaxLines)
            s.maxBytes = max(1024, r.logBatchMaxBytes)
        }
        return s
    }

    // MARK: heartbeat

    func heartbeatLoop(instanceId: String) async {
        while !Task.isCancelled {
            let interval = tuning?.heartbeatSeconds ?? 10
            let jittered = interval * Double.random(in: 0.9...1.1)
            try? await Task.sleep(for: .seconds(clamping: jittered, to: ManagerTuning.heartbeatSeconds))
            if Task.isCancelled { return }
            await sendHeartbeat(instanceId: instanceId)
        }
    }

    func sendHeartbeat(instanceId: String) async {
        guard let id = tuning?.delegateId else { return }
        let (running, draining) = state.withLock { s in
            (s.running.map { RunningTask(taskId: $0.key, leaseId: $0.value.leaseId) }.sorted { $0.taskId < $1.taskId }, s.draining)
        }
        let hb = HeartbeatRequest(running: running, freeCapacity: max(0, config.capacity - running.count), status: draining ? "draining" : "active")
        do {
            let answer = try await client.heartbeat(delegateId: id, hb)
            state.withLock {
                $0.lastHeartbeatOK = Date()
                $0.connected = true
                $0.heartbeatFailures = 0
            }
            notify("WATCHDOG=1")
            for taskId in answer.cancel {
                let entry = state.withLock { $0.running[taskId] }
                if let entry {
                    logger.info("manager cancelled task", metadata: ["task": "\(taskId)"])
                    entry.log.requestCancel()
                    entry.task?.cancel()
                }
            }
        } catch let e as ManagerClientError where e.status == 404 {
            logger.warning("manager does not know this delegate; registering again")
            _ = await register(instanceId: instanceId)
        } catch let e as ManagerClientError where e.status == 401 {
            tokenRefused(e, during: "heartbeat")
        } catch {
            state.withLock { $0.heartbeatFailures += 1 }
            metrics.heartbeatFailed()
            noteFailure("heartbeat failed", error: error, retryIn: .seconds(clamping: tuning?.heartbeatSeconds ?? 10, to: ManagerTuning.heartbeatSeconds))
        }
    }

    /// The manager refused the token (revoked, unknown, or not allowed to register so): stop taking tasks, cancel running ones, say why.
    ///
    /// The manager has already failed the tasks this delegate was running (their
    /// results could not be delivered with the refused token anyway); the process
    /// then drains and exits with the reason (`ManagerRefusedToken`).
    func tokenRefused(_ error: ManagerClientError, during what: String) {
        let why = masker.apply("\(what): \(error)")
        let first = state.withLock { s -> Bool in
            guard s.refused == nil else { return false }
            s.refused = why
            s.draining = true
            s.connected = false
            s.lastError = "the manager refused this delegate's token (\(why))"
            return true
        }
        guard first else { return }
        logger.error(
            "the manager refused this delegate's token: not taking tasks any more; running tasks are cancelled (the manager reports them failed). Give the delegate a valid token (token_file) and start it again",
            metadata: ["reason": "\(why)", "running": "\(runningCount)"])
        notify("STATUS=stopped: the manager refused the token")
        cancelRunningTasks()
        capacityFreed.signal()
    }

    // MARK: polling

    func pollLoop(instanceId: String) async {
        var failures = 0
        while !Task.isCancelled {
            if state.withLock({ $0.draining }) { return }
            if runningCount >= config.capacity {
                await capacityFreed.wait(timeout: .seconds(5))
                continue
            }
            guard let r = tuning else { return }
            do {
                let asked = ContinuousClock.now
                let envelope = try await client.nextTask(delegateId: r.delegateId, wait: r.pollWaitSeconds)
                failures = 0
                state.withLock {
                    $0.connected = true
                    $0.lastError = nil
                }
                if let envelope {
                    start(envelope)
                } else if ContinuousClock.now - asked < .milliseconds(100) {
                    // An empty answer long before the wait was up (a manager shutting down): do not spin.
                    try? await Task.sleep(for: .milliseconds(250))
                }
            } catch is CancellationError {
                return
            } catch let e as ManagerClientError where e.status == 404 {
                logger.warning("manager does not know this delegate; registering again")
                _ = await register(instanceId: instanceId)
            } catch let e as ManagerClientError where e.status == 401 {
                tokenRefused(e, during: "polling for tasks")
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = backoff(attempt: failures, base: .milliseconds(250), cap: .seconds(30))
                noteFailure("polling for tasks failed", error: error, retryIn: delay)
                try? await Task.sleep(for: delay)
            }
        }
    }

    // MARK: running tasks

    /// Starts a leased task (or rejects it) without blocking the poll loop.
    func start(_ envelope: TaskEnvelope) {
        let secrets = SecretMasker(secrets: Array(envelope.secrets.values) + globalSecrets + connectorSecrets(envelope.connector))
        let log = TaskLog(taskId: envelope.taskId, leaseId: envelope.leaseId, masker: secrets, gate: gate)
        state.withLock { $0.running[envelope.taskId] = RunningEntry(leaseId: envelope.leaseId, type: envelope.type, log: log, task: nil, startedAt: Date()) }
        let task = Task {
            await self.execute(envelope, log: log)
            self.state.withLock { s in
                _ = s.running.removeValue(forKey: envelope.taskId)
            }
            self.capacityFreed.signal()
        }
        state.withLock { $0.running[envelope.taskId]?.task = task }
    }

    func execute(_ envelope: TaskEnvelope, log: TaskLog) async {
        do {
            try store.begin(envelope)
        } catch {
            logger.error("cannot write the task journal", metadata: ["task": "\(envelope.taskId)", "error": "\(error)"])
        }
        let result: TaskResult
        if !Selectors.satisfied(envelope.selectors, by: config.tags) {
            result = TaskResult(leaseId: envelope.leaseId, status: .rejected, error: TaskError(
                code: "selectors_not_satisfied",
                message: "delegate \(config.name) has tags \(config.tags) but the task requires \(envelope.selectors) (missing \(Selectors.missing(envelope.selectors, from: config.tags)))"))
        } else if !TaskEnvelope.timeoutRange.contains(envelope.timeoutSeconds) {
            result = TaskResult(leaseId: envelope.leaseId, status: .rejected, error: TaskError(
                code: "invalid_task", message: "timeoutSeconds must be from \(TaskEnvelope.timeoutRange.lowerBound) to \(TaskEnvelope.timeoutRange.upperBound), got \(envelope.timeoutSeconds)"))
        } else if handlers[envelope.type] == nil {
            result = TaskResult(leaseId: envelope.leaseId, status: .rejected, error: TaskError(
                code: "unknown_task_type", message: "delegate \(config.name) cannot run task type '\(envelope.type)' (it runs: \(handlers.keys.sorted().joined(separator: ", ")))"))
        } else {
            result = await runHandler(envelope, log: log)
        }
        log.close()
        if result.status == .rejected {
            logger.warning("task rejected", metadata: ["task": "\(envelope.taskId)", "reason": "\(result.error?.message ?? "")"])
        }
        do {
            try store.finish(taskId: envelope.taskId, result: result)
        } catch {
            logger.error("cannot journal the result; sending it anyway", metadata: ["task": "\(envelope.taskId)", "error": "\(error)"])
        }
        // Delivered outside the task's cancellation: a cancelled task still reports that it was cancelled.
        await Task { await self.deliver(taskId: envelope.taskId, result: result) }.value
        let started = state.withLock { $0.running[envelope.taskId]?.startedAt } ?? Date()
        metrics.taskFinished(type: envelope.type, outcome: result.status.rawValue, duration: .milliseconds(Int(Date().timeIntervalSince(started) * 1000)))
    }

    private func runHandler(_ envelope: TaskEnvelope, log: TaskLog) async -> TaskResult {
        guard let handler = handlers[envelope.type] else {
            return TaskResult(leaseId: envelope.leaseId, status: .rejected)
        }
        logger.info("task started", metadata: ["task": "\(envelope.taskId)", "type": "\(envelope.type)"])
        let pump = Task { await self.pump(log).run() }
        let context = TaskContext(envelope: envelope, log: log, logger: logger)
        let outcome = await TaskTimeout.run(seconds: envelope.timeoutSeconds) { try await handler.run(context) }
        let result: TaskResult
        switch outcome {
        case .success(let o):
            result = TaskResult(leaseId: envelope.leaseId, status: .succeeded, outputs: o.outputs, rollbackSnapshot: o.rollbackSnapshot)
        case .failure(let f as TaskFailure):
            log.log(f.error.message, level: f.status == .cancelled ? "warn" : "error", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: f.status, outputs: f.outputs, error: f.error, rollbackSnapshot: f.rollbackSnapshot)
        case .failure(let e as TaskError):
            log.log(e.message, level: "error", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: .failed, error: e)
        case .failure(is CancellationError):
            log.log("Task cancelled", level: "warn", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: .cancelled, error: TaskError(code: "cancelled", message: "the task was cancelled"))
        case .failure(let e):
            let message = masker.apply("\(e)")
            log.log(message, level: "error", unit: "Result")
            result = TaskResult(leaseId: envelope.leaseId, status: .failed, error: TaskError(code: "internal", message: message))
        }
        log.close()
        await pump.value
        logger.info("task finished", metadata: ["task": "\(envelope.taskId)", "status": "\(result.status.rawValue)"])
        return result
    }

    /// Sends a result until the manager acknowledges it (or refuses it for good).
    func deliver(taskId: String, result: TaskResult) async {
        var attempt = 0
        while true {
            do {
                try await client.sendResult(taskId: taskId, result)
                try? store.markDelivered(taskId: taskId)
                return
            } catch let e as ManagerClientError where !e.isRetryable {
                logger.error("manager refused the result; giving up on it", metadata: ["task": "\(taskId)", "error": "\(e)"])
                try? store.markDelivered(taskId: taskId)
                return
            } catch {
                attempt += 1
                let delay = backoff(attempt: attempt, base: .milliseconds(250), cap: .seconds(30))
                noteFailure("delivering a result failed", error: error, retryIn: delay)
                if attempt >= 5 && state.withLock({ $0.draining }) {
                    logger.warning("shutting down: the result stays in the state database and is sent on the next start", metadata: ["task": "\(taskId)"])
                    return
                }
                try? await Task.sleep(for: delay)
            }
        }
    }

    private func pump(_ log: TaskLog) -> LogPump {
        LogPump(log: log, store: store, client: client, settings: { [weak self] in self?.shipping ?? ShippingSettings() }, logger: logger, metrics: metrics, gate: gate)
    }

    /// Cancels every running task now (a second SIGTERM): each reports `cancelled` with what it logged.
    public func cancelRunningTasks() {
        let tasks = state.withLock { s in s.running.values.compactMap(\.task) }
        if !tasks.isEmpty { logger.warning("cancelling running tasks", metadata: ["running": "\(tasks.count)"]) }
        for t in tasks { t.cancel() }
    }

    /// Removes finished tasks past the retention period, at start and hourly.
    func pruneLoop() async {
        while !Task.isCancelled {
            let cutoff = Date().addingTimeInterval(-config.logRetentionHours * 3600)
            do {
                let n = try store.prune(finishedBefore: cutoff)
                if n > 0 { logger.info("pruned old tasks from the local journal", metadata: ["tasks": "\(n)"]) }
                let s = try store.pruneSnapshots(olderThan: Date().addingTimeInterval(-config.snapshotRetentionDays * 86400))
                if s > 0 { logger.info("pruned old rollback snapshots", metadata: ["snapshots": "\(s)"]) }
            } catch {
                logger.error("pruning the local journal failed: \(error)")
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    // MARK: recovery after a crash

    /// Marks tasks that were running when the process died as failed (never re-run).
    func recoverInterrupted() throws {
        for (taskId, leaseId) in try store.interruptedTasks() {
            let last = try store.lastSeq(taskId: taskId)
            let message = "the delegate restarted while the task was running"
            let line = LogLine(seq: last + 1, time: Date(), level: "error", unit: "Result", text: message)
            try store.spool(taskId: taskId, lines: [line])
            try store.finish(taskId: taskId, result: TaskResult(
                leaseId: leaseId, status: .failed, error: TaskError(code: "interrupted", message: message)))
            logger.warning("task was running when the delegate stopped; reporting it failed", metadata: ["task": "\(taskId)"])
        }
    }

    /// Ships spooled lines and undelivered results left by an earlier run.
    func redeliverLeftovers() async {
        do {
            for entry in try store.tasksWithSpool() {
                let log = TaskLog(taskId: entry.taskId, leaseId: entry.leaseId, masker: SecretMasker(secrets: []), gate: gate, firstSeq: entry.lastSeq + 1)
                log.close()
                await pump(log).run(ackedFrom: entry.acked)
            }
            for (taskId, result) in try store.undeliveredResults() {
                await deliver(taskId: taskId, result: result)
            }
        } catch {
            logger.error("cannot read leftovers from the state database: \(error)")
        }
    }

    // MARK: status

    /// A snapshot of the agent for the status socket and tests.
    public func status() -> DelegateStatus {
        state.withLock { s in
            DelegateStatus(
                delegateId: s.registration?.delegateId, name: config.name, tags: config.tags, version: delegateVersion,
                uptimeSeconds: Date().timeIntervalSince(startedAt), managerURL: client.baseURL,
                connected: s.connected, lastError: s.lastError,
                secondsSinceHeartbeat: s.lastHeartbeatOK.map { Date().timeIntervalSince($0) },
                capacity: config.capacity, running: s.running.map { RunningTaskStatus(taskId: $0.key, type: $0.value.type, startedAt: $0.value.startedAt) }.sorted { $0.startedAt < $1.startedAt },
                draining: s.draining, spoolUnacknowledgedLines: gate.heldLines, spoolMaxLines: gate.capacity)
        }
    }
}

/// Secret-looking values in a connector (secret keys, session tokens, passwords), for masking.
func connectorSecrets(_ v: JSONValue?) -> [String] {
    guard let v else { return [] }
    switch v {
    case .object(let o):
        return o.flatMap { k, v -> [String] in
            let key = k.lowercased()
            if (key.contains("secret") || key.contains("token") || key.contains("password")), let s = v.stringValue { return [s] }
            return connectorSecrets(v)
        }
    case .array(let a): return a.flatMap(connectorSecrets)
    default: return []
    }
}

/// The delegate's state as `ecs-delegate status` shows it.
public struct DelegateStatus: Codable, Sendable, Equatable {
    public var delegateId: String?
    public var name: String
    public var tags: [String]
    public var version: String
    public var uptimeSeconds: Double
    public var managerURL: String
    public var connected: Bool
    public var lastError: String?
    public var secondsSinceHeartbeat: Double?
    public var capacity: Int
    public var running: [RunningTaskStatus]
    public var draining: Bool
    public var spoolUnacknowledgedLines: Int
    public var spoolMaxLines: Int
}

/// A task in flight.
public struct RunningTaskStatus: Codable, Sendable, Equatable {
    public var taskId: String
    public var type: String
    public var startedAt: Date
}

