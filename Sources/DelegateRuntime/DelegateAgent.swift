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
///
/// This file holds the agent's state and the `run()` that wires its parts
/// together; each part is an extension in its own file: registration,
/// heartbeat, polling, running, delivery, recovery, pruning and status
/// (`DelegateAgent+Registration.swift`, ...).
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
    let state = Mutex(AgentState())
    let capacityFreed = Wakeup()
    let startedAt = Date()

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

    /// Recovers, registers, then heartbeats and polls until a graceful shutdown; drains, unregisters and returns (throws `ManagerRefusedToken` when the manager refused the token).
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
}
