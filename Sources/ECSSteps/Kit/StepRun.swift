import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Logging
import StepContracts
import Synchronization

/// What a step body works with: its task, AWS clients, the shared poller, manifests, the change journal and snapshots.
///
/// One per task. The crash-safe order is the kit's: `recordSnapshot` writes
/// the snapshot to SQLite before the body's first mutating call, and from then
/// on every failure carries the snapshot and the journal's "already changed".
package final class StepRun: Sendable {
    let context: TaskContext
    let env: StepEnvironment
    /// What this step changed so far.
    package let journal = ChangeJournal()
    /// How the step waits on service rollouts (its payload's `steadyStateTimeoutSeconds` and `failFast`).
    let wait: RolloutWait
    /// The task's connector, parsed once from the envelope (or why it cannot be read).
    private let parsedConnector: Result<TaskConnector, TaskError>
    private let state = Mutex(State())

    private struct State {
        var clients: AWSClients?
        var snapshot: JSONValue?
        var changing = false
        var artifact: ResolvedArtifact?
    }

    /// Creates the run of one task.
    init(context: TaskContext, env: StepEnvironment, wait: RolloutWait = RolloutWait()) {
        self.context = context
        self.env = env
        self.wait = wait
        do {
            parsedConnector = .success(try TaskConnector.parsed(context.envelope.connector))
        } catch let e as TaskError {
            parsedConnector = .failure(e)
        } catch {
            parsedConnector = .failure(TaskError(code: "invalid_connector", message: "\(error)"))
        }
    }

    /// The task's connector; a `TaskError` (`invalid_connector`) names the member of the wrong type.
    func connector() throws -> TaskConnector { try parsedConnector.get() }

    /// The task's log.
    package var log: TaskLog { context.log }
    /// The delegate's own logger.
    var logger: Logger { context.logger }
    /// The pipeline run the task belongs to (its own task id when it has none).
    var executionId: String { context.envelope.executionId ?? context.envelope.taskId }
    /// The snapshot this step recorded (or restored from), for the task's result.
    var savedSnapshot: JSONValue? { state.withLock { $0.snapshot } }

    /// AWS clients for the task's connector, made once.
    func clients() throws -> AWSClients {
        if let c = state.withLock({ $0.clients }) { return c }
        let c = try env.clients(for: try connector(), logger: logger)
        state.withLock { $0.clients = c }
        return c
    }

    /// The DescribeServices poller shared by every task with the same connector.
    func poller() throws -> ServicePoller {
        env.poller(for: try clients(), connector: try connector())
    }

    /// The service machinery (snapshot reads, scaling, steady state) for `cluster`.
    func deployer(cluster: String) throws -> ServiceDeployer {
        ServiceDeployer(run: self, clients: try clients(), poller: try poller(), cluster: cluster, failFast: wait.failsFast)
    }

    /// A loader that fetches and renders this task's manifests with `variables`.
    func manifests(variables: [String: JSONValue]?) throws -> ManifestLoader {
        let clients = try clients()
        return ManifestLoader(log: log, secrets: context.envelope.secrets, gitTransports: env.policy.gitTransports, variables: variables ?? [:], s3: { clients.s3 })
    }

    /// A loader whose `<+artifact.*>` values come from `artifact`, resolved (and pinned) first when the payload has one.
    func manifests(variables: [String: JSONValue]?, artifact: ArtifactRequest?) async throws -> ManifestLoader {
        var variables = variables ?? [:]
        if let artifact { variables["artifact"] = try await resolve(artifact).variables }
        return try manifests(variables: variables)
    }

    /// Keeps the resolved artifact: every snapshot this step records names it.
    func rememberArtifact(_ artifact: ResolvedArtifact) {
        state.withLock { $0.artifact = artifact }
    }

    /// Persists `body` as this step's rollback snapshot before anything changes, and returns the one that stands.
    ///
    /// The first write per (execution, step) wins: a retried step gets back the
    /// snapshot from before its first attempt. From here on, failures carry it.
    @discardableResult
    package func recordSnapshot(kind: SnapshotKind, stepId: String?, cluster: String, service: String, body: JSONValue) throws -> JSONValue {
        let key = SnapshotKey(executionId: executionId, stepId: stepId ?? SnapshotKey.defaultStepId(kind: kind, cluster: cluster, service: service))
        var body = body
        if let artifact = state.withLock({ $0.artifact }) { body["artifact"] = try JSONValue(encoding: artifact) }
        try env.store.saveSnapshot(key, kind: kind, cluster: cluster, service: service, taskId: context.envelope.taskId, body: body)
        let stored = try env.store.snapshot(key)?.snapshot ?? body
        state.withLock {
            $0.snapshot = stored
            $0.changing = true
        }
        return stored
    }

    /// The snapshot a rollback works from: the one sent with the task, else the one this delegate recorded.
    func findSnapshot(kind: SnapshotKind, stepId: String?, cluster: String, service: String, sent: JSONValue?, unit: String) throws -> JSONValue? {
        if let sent, sent != .null {
            log.log("Using the rollback data sent with the task", unit: unit)
            return sent
        }
        guard context.envelope.executionId != nil else { return nil }
        let key = SnapshotKey(executionId: executionId, stepId: stepId ?? SnapshotKey.defaultStepId(kind: kind, cluster: cluster, service: service))
        guard let entry = try env.store.snapshot(key) else { return nil }
        guard entry.kind == kind else {
            throw TaskError(code: "snapshot.wrong_kind", message: "the snapshot of step \(key.stepId) in execution \(executionId) was recorded by a \(entry.kind.rawValue) step; roll it back with \(entry.kind.rollbackTaskType?.rawValue ?? "nothing (it leaves nothing to undo)")")
        }
        log.log("Using the rollback data recorded by this delegate for execution \(executionId)", unit: unit)
        return entry.snapshot
    }

    /// Marks the start of changes for a step that keeps no snapshot of its own (a rollback):
    /// from here on, failures say what was already changed.
    func beginChanges() {
        state.withLock { $0.changing = true }
    }

    /// The one failure mapping: cancellation, task errors and AWS errors, with what was already changed.
    func failure(_ error: Error, noun: String) -> Error {
        if let f = error as? TaskFailure { return f }
        let (snapshot, changing) = state.withLock { ($0.snapshot, $0.changing) }
        if error is CancellationError {
            return TaskFailure(status: .cancelled, error: TaskError(code: "cancelled", message: "the \(noun) was cancelled; \(journal.summary)"), rollbackSnapshot: snapshot)
        }
        let base = (error as? TaskError) ?? AWSFailure.taskError(error)
        guard changing else { return base }
        return TaskFailure(error: TaskError(code: base.code, message: "\(base.message) (\(journal.summary))"), rollbackSnapshot: snapshot)
    }
}

extension StepRun {
    /// The snapshot a rollback must restore; nil only when the caller says the step never ran.
    ///
    /// A rollback asked for by hand that finds no snapshot fails naming it: a
    /// mistyped execution id must never look like a successful rollback.
    func rollbackSnapshot(kind: SnapshotKind, stepId: String?, cluster: String, service: String, sent: JSONValue?, stepNeverRan: Bool, unit: String) throws -> JSONValue? {
        if let found = try findSnapshot(kind: kind, stepId: stepId, cluster: cluster, service: service, sent: sent, unit: unit) { return found }
        let execution = context.envelope.executionId ?? "(none)"
        if stepNeverRan {
            log.log("No rollback data for service \(service) in execution \(execution), and the step never ran: nothing to roll back", unit: unit)
            return nil
        }
        throw TaskError(code: "snapshot.missing", message: "no rollback snapshot for service \(service) in execution \(execution): none was sent with the task and this delegate recorded none, so there is nothing known to restore. Check the execution id (snapshots are kept by the delegate that ran the deployment: `ecs-delegate snapshots`); if the step never ran, send \"stepNeverRan\": true")
    }
}
