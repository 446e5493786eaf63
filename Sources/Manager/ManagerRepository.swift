import DelegateProtocol
import Foundation
import ManagerAPI

/// The manager's durable state, as the controllers use it: delegates, tasks, leases, logs, connectors and secrets.
///
/// `ManagerStore` (SQLite) implements it; `RepositoryContract` in the tests is
/// what any other implementation (PostgreSQL is planned) must pass. Secret
/// values reach an implementation only sealed (`SecretBox`); inline task
/// secrets and connectors are never given to it at all (`InlineSecrets`).
public protocol ManagerRepository: Sendable {
    // MARK: delegates

    /// Registers (or re-registers, by instance id) a delegate; requeues what an earlier process of it never started.
    ///
    /// With `tokenName` the delegate is bound to the token it registered with,
    /// and with `audit` the registration's audit entry is recorded: all in one
    /// commit.
    func register(_ r: RegisterRequest, now: Date, boundTo tokenName: String?, audit: RegistrationAudit?) async throws -> Registration
    /// Every task type any delegate has ever registered.
    func knownTaskTypes() async throws -> Set<String>
    /// A registered delegate's routing facts, or nil.
    func delegate(_ id: String) async throws -> DelegateRow?
    /// Marks a delegate seen (poll or heartbeat) and, for heartbeats, records its state.
    func touch(delegateId: String, heartbeat: HeartbeatRequest?, now: Date) async throws
    /// Marks a delegate unregistered.
    func unregister(delegateId: String) async throws
    /// Every delegate, with its state as seen now.
    func delegates(now: Date, staleAfter: TimeInterval) async throws -> [DelegateInfo]

    // MARK: tasks

    /// Queues task `id`; `connector` is the stored connector it uses (its selectors already merged into `s.selectors`),
    /// `artifactConnector` the stored registry connector its artifact comes from; `audit`, if any, is recorded in the same
    /// transaction (one commit fewer before the task can be leased).
    func submit(_ s: SubmitTaskRequest, id: String, connector: Connector?, artifactConnector: Connector?, audit: AuditEntry?, now: Date) async throws
    /// One task's report, or nil.
    func task(_ id: String) async throws -> TaskReport?
    /// The most recent tasks, newest first.
    func tasks(limit: Int) async throws -> [TaskReport]
    /// Asks for a task to be cancelled.
    func requestCancel(taskId: String, now: Date) async throws -> CancelOutcome

    // MARK: leases

    /// Leases the oldest queued task this delegate may run (nil when none, or when `delegate` is of an earlier generation).
    func lease(for delegate: DelegateRow, leaseSeconds: TimeInterval, now: Date) async throws -> LeasedTask?
    /// Records a heartbeat in one commit: the delegate seen with its state (as `touch`), the leases it lists renewed (as `renew`); returns (renewed, cancel).
    func heartbeat(delegateId: String, _ hb: HeartbeatRequest, leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String])
    /// Renews the leases a heartbeat lists; returns (renewed, cancel).
    func renew(delegateId: String, running: [RunningTask], leaseSeconds: TimeInterval, now: Date) async throws -> ([String], [String])
    /// Records a task's result once per lease; false when it was already recorded.
    func finish(taskId: String, leaseId: String, result: TaskResult, now: Date) async throws -> Bool
    /// Requeues unstarted and fails started tasks whose lease ran out; returns their ids.
    func expireLeases(now: Date) async throws -> [String]
    /// Extends every live lease by `seconds` (after a restart).
    func extendLiveLeases(by seconds: TimeInterval, now: Date) async throws

    // MARK: logs

    /// Stores a batch of lines exactly once, in order.
    func appendLogs(taskId: String, batch: LogBatch) async throws -> LogAck
    /// Lines with seq after `after`.
    func logs(taskId: String, after: Int64, limit: Int) async throws -> [LogLine]

    // MARK: connectors

    /// Creates or replaces the connector with `connector.name`; true when it was created.
    func putConnector(_ connector: Connector, now: Date) async throws -> Bool
    /// The stored connector named `name`, or nil.
    func connector(_ name: String) async throws -> ConnectorRecord?
    /// Every stored connector, by name.
    func connectors() async throws -> [ConnectorRecord]
    /// Deletes a connector; false when there was none.
    func deleteConnector(_ name: String) async throws -> Bool

    // MARK: secrets (sealed values only)

    /// Creates or replaces a secret's sealed value; true when it was created.
    func putSecret(_ name: String, sealed: Data, now: Date) async throws -> Bool
    /// A secret's sealed value, or nil.
    func sealedSecret(_ name: String) async throws -> Data?
    /// Every secret's name and times, by name (never values).
    func secrets() async throws -> [SecretInfo]
    /// Deletes a secret; false when there was none.
    func deleteSecret(_ name: String) async throws -> Bool
}

/// The audit entry of a registration, whose target (the delegate's id) the repository fills in.
public struct RegistrationAudit: Sendable, Equatable {
    public var actor: String
    public var detail: String
    /// Creates one.
    public init(actor: String, detail: String) {
        self.actor = actor
        self.detail = detail
    }

    /// The entry for delegate `delegateId`, at `time`.
    func entry(delegateId: String, at time: Date) -> AuditEntry {
        AuditEntry(time: time, actor: actor, action: AuditAction.delegateRegister, target: delegateId, detail: detail)
    }
}

/// What a registration did: the delegate's id, and the tasks it put back in the queue.
public struct Registration: Sendable, Equatable {
    public var delegateId: String
    /// Tasks an earlier process of this instance was handed and never started (nor listed as held).
    public var requeued: [String]
    /// Creates a registration.
    public init(delegateId: String, requeued: [String]) {
        self.delegateId = delegateId
        self.requeued = requeued
    }
}

/// What a cancel request did.
public enum CancelOutcome: Sendable, Equatable {
    /// No such task.
    case notFound
    /// The task was queued and is now `cancelled`.
    case cancelled
    /// The task is leased or running; its delegate is told on its next call.
    case requested
    /// The task had already ended, in this state.
    case alreadyFinished(TaskState)
}

/// Why an ingest or a result was refused.
public enum LeaseError: Error, Equatable, Sendable {
    case unknownTask, wrongLease
}

/// A task just leased: its envelope (without secrets), whether inline secrets belong to it, and the stored connector it uses.
@dynamicMemberLookup
public struct LeasedTask: Sendable, Equatable {
    public var envelope: TaskEnvelope
    /// The submission carried inline secrets or an inline connector, which only the manager's memory holds.
    public var hasInlineSecrets: Bool
    /// The stored connector as it was when the task was submitted; its secrets are resolved now, at lease time.
    public var connector: Connector?
    /// The stored registry connector of the task's artifact, as it was when the task was submitted.
    public var artifactConnector: Connector?
    /// Creates a leased task.
    public init(envelope: TaskEnvelope, hasInlineSecrets: Bool, connector: Connector?, artifactConnector: Connector? = nil) {
        self.envelope = envelope
        self.hasInlineSecrets = hasInlineSecrets
        self.connector = connector
        self.artifactConnector = artifactConnector
    }

    /// The envelope's members, read through the leased task.
    public subscript<T>(dynamicMember path: KeyPath<TaskEnvelope, T>) -> T { envelope[keyPath: path] }
}
