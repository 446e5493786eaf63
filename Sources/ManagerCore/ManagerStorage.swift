/// Everything the manager keeps, handed to the server as one bundle: its repositories and the wake-up bus that fits them.
///
/// The server takes what it needs from here instead of finding out by
/// downcasting what a store can also do. `sqlite` and `postgres` (beside their
/// stores) make the two bundles the manager ships; a test may assemble its own.
public struct ManagerStorage: Sendable {
    /// Delegates and leases, tasks and logs, connectors and secrets: one store for the three aggregates, each part of the server taking the ones it uses.
    public let repository: any ManagerRepository
    /// Tokens, delegates' tokens and the audit trail.
    public let access: any AccessRepository
    /// Pipeline executions.
    public let executions: any ExecutionRepository
    /// Notifiers and the notification outbox.
    public let notifications: any NotificationRepository
    /// Wakes long polls and log follows: in this process, or in every replica on the same database.
    public let wakeups: any WakeupBus
    /// Whether the store can serve (`GET /readyz`); nil: ready whenever the repository answers a read.
    public let readiness: (any StorageReadiness)?

    /// A bundle of these parts.
    public init(repository: any ManagerRepository, access: any AccessRepository, executions: any ExecutionRepository,
                notifications: any NotificationRepository, wakeups: any WakeupBus,
                readiness: (any StorageReadiness)? = nil) {
        self.repository = repository
        self.access = access
        self.executions = executions
        self.notifications = notifications
        self.wakeups = wakeups
        self.readiness = readiness
    }
}
