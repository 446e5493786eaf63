import Foundation

/// How a change wakes whoever waits for it (a parked long poll, a log follow, the orchestrator), in this replica or in all of them.
///
/// A waiter arms a ticket on a key, checks the state it cares about, then
/// waits on the ticket (`WakeupBus.poll`); a change publishes the key once it is
/// committed. Two implementations: `Notifier`, in-process (one manager on
/// SQLite), and `PostgresWakeupBus`, which carries every key through
/// PostgreSQL's `LISTEN/NOTIFY` to every replica on the database.
public protocol WakeupBus: Sendable {
    /// Registers interest in `key`; check state, then `wait` on the ticket.
    func arm(key: String) -> Notifier.Ticket
    /// Wakes every waiter on `key`, in every replica.
    func notify(key: String)
    /// Wakes every parked long poll, in every replica: something was queued or returned to the queue.
    func notifyAllDelegates()
    /// Whether this replica is shutting down: waiters stop waiting and answer with what they have.
    var isShutDown: Bool { get }
    /// Wakes every waiter of this replica and makes every later wait return at once (graceful shutdown).
    func shutDown()
}

extension Notifier: WakeupBus {
    /// Wakes every waiter on a `delegate:` key.
    public func notifyAllDelegates() { notify { $0.hasPrefix(Self.delegatePrefix) } }

    /// Wakes every waiter, whatever its key (after a gap in which changes may have gone unannounced).
    public func notifyEveryone() { notify { _ in true } }

    /// The prefix of the keys long polls wait on.
    public static let delegatePrefix = "delegate:"

    /// The notifier key a task's log follows wait on.
    package static func taskKey(_ id: String) -> String { "task:\(id)" }

    /// The notifier key a delegate's long polls wait on.
    package static func delegateKey(_ id: String) -> String { delegatePrefix + id }
}
