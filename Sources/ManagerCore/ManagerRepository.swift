import DelegateProtocol
import Foundation
import ManagerAPI

/// The manager's durable state as the server uses it, one protocol per aggregate: delegates and their leases, tasks and their logs, connectors and secrets.
///
/// `ManagerStore` (SQLite) and `PostgresStore` implement all three, and so
/// this composition; a caller that needs only one aggregate depends on that
/// protocol alone. The value types the aggregates exchange (registrations,
/// leased tasks, cancel outcomes) are below. Executions and access have their
/// own seams beside these (`ExecutionRepository`, `AccessRepository`).
public typealias ManagerRepository = DelegateRepository & TaskRepository & CatalogRepository

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
    package func entry(delegateId: String, at time: Date) -> AuditEntry {
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
    /// When the task was submitted: the lease's wait is the time since (the manager's lease-wait histogram).
    public var queuedAt: Date?
    /// Creates a leased task.
    public init(envelope: TaskEnvelope, hasInlineSecrets: Bool, connector: Connector?, artifactConnector: Connector? = nil, queuedAt: Date? = nil) {
        self.queuedAt = queuedAt
        self.envelope = envelope
        self.hasInlineSecrets = hasInlineSecrets
        self.connector = connector
        self.artifactConnector = artifactConnector
    }

    /// The envelope's members, read through the leased task.
    public subscript<T>(dynamicMember path: KeyPath<TaskEnvelope, T>) -> T { envelope[keyPath: path] }
}
