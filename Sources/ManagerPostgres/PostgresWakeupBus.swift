import Foundation
import Logging
import ManagerCore
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The wake-up bus of replicas sharing one PostgreSQL database: every key goes out with `NOTIFY` and comes in with `LISTEN`.
///
/// A submit on replica A wakes a delegate parked on replica B as soon as B's
/// listening connection hears the notification: no polling loop. Waiters of
/// this replica are woken at once, without the round trip (notifications this
/// replica sent itself are skipped when they come back). While the listening
/// connection is down (a database restart) notifications are lost, so every
/// waiter of this replica is woken when it is back, to check again.
public final class PostgresWakeupBus: WakeupBus, Service {
    /// The channel every replica listens on.
    static let channel = "ecs_wakeup"
    /// The payload key that wakes every parked long poll.
    static let allDelegates = "*delegates"

    /// This replica's waiters.
    let local = Notifier()
    /// The store's connections: notifications go out on them, the listener's configuration comes from them.
    let pool: PostgresConnectionPool
    let logger: Logger
    /// This process's mark on what it sends, so it skips its own notifications.
    let replicaId = UUID().uuidString.lowercased().prefix(8)

    /// A bus over `store`'s database.
    public init(store: PostgresStore, logger: Logger) {
        self.pool = store.pool
        self.logger = logger
    }

    /// Registers interest in `key` with this replica's waiters.
    public func arm(key: String) -> Notifier.Ticket { local.arm(key: key) }

    /// Wakes `key`'s waiters here at once, and in the other replicas through `NOTIFY` (batched, off the caller's path).
    public func notify(key: String) {
        local.notify(key: key)
        enqueue(key)
    }

    /// Wakes every parked long poll here at once, and in the other replicas through `NOTIFY`.
    public func notifyAllDelegates() {
        local.notifyAllDelegates()
        enqueue(Self.allDelegates)
    }

    /// Whether this replica is shutting down.
    public var isShutDown: Bool { local.isShutDown }

    /// Ends this replica's waits (graceful shutdown); the other replicas are not told.
    public func shutDown() { local.shutDown() }

    /// Keys waiting to be announced, and whether a flush is under way.
    private let outbox = Mutex<(keys: [String], flushing: Bool)>(([], false))
    /// The most keys one announcement carries.
    static let maxKeysPerNotify = 256

    /// Queues `key` for the other replicas; the first key of a quiet spell starts a flush.
    ///
    /// A request never waits for the announcement: keys queue while one
    /// `pg_notify` round trip is in flight and go out together in the next, one
    /// statement for all of them, so a burst of log batches costs a few round
    /// trips instead of one each.
    func enqueue(_ key: String) {
        let start: Bool = outbox.withLock { o in
            if !o.keys.contains(key) { o.keys.append(key) }
            if o.flushing { return false }
            o.flushing = true
            return true
        }
        if start { Task { await self.flush() } }
    }

    /// Announces queued keys until none are left; a failure (the database is down) is logged: waiters elsewhere wake at their timeout or reconnection.
    func flush() async {
        while true {
            let keys: [String] = outbox.withLock { o in
                let batch = Array(o.keys.prefix(Self.maxKeysPerNotify))
                o.keys.removeFirst(batch.count)
                if batch.isEmpty { o.flushing = false }
                return batch
            }
            if keys.isEmpty { return }
            let payloads = keys.map { "\(replicaId) \($0)" }
            do {
                try await pool.withConnection { s in try await s.run("SELECT pg_notify(\(Self.channel), p) FROM unnest(\(payloads)::text[]) AS p") }
            } catch {
                logger.warning("cannot announce a change to the other replicas", metadata: ["keys": "\(keys.count)", "error": "\(error)"])
            }
        }
    }

    /// Wakes this replica's waiters for a notification's payload, unless this replica sent it.
    func deliver(_ payload: String) {
        guard let space = payload.firstIndex(of: " ") else { return }
        if payload[..<space] == replicaId { return }
        let key = String(payload[payload.index(after: space)...])
        if key == Self.allDelegates { local.notifyAllDelegates() } else { local.notify(key: key) }
    }

    /// Listens until shutdown, connecting again (after 200 ms, doubling to 2 s while connecting fails) whenever the connection is lost.
    public func run() async throws {
        var failures = 0
        while !Task.isCancelledOrShuttingDown {
            do {
                try await cancelWhenGracefulShutdown { try await self.listenOnce() }
                failures = 1
            } catch {
                if Task.isCancelledOrShuttingDown { break }
                // Backs off while connecting fails; a connection that was up starts again at the shortest pause.
                failures = error is NeverConnected ? failures + 1 : 1
                logger.warning(
                    "the wake-up listener has no PostgreSQL connection; until it connects again, polls and log follows parked on this replica wake only at their timeouts for changes made through other replicas",
                    metadata: ["error": "\((error as? NeverConnected).map { "\($0)" } ?? "\(PostgresStoreError(error, doing: "LISTEN"))")"])
            }
            if Task.isCancelledOrShuttingDown { break }
            let pause = Duration.milliseconds(min(2000, 100 << min(failures, 5)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }

    /// One listening connection: listens, wakes everyone (what happened while not listening is unknown), then delivers until it ends.
    private func listenOnce() async throws {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(on: pool.group.next(), configuration: pool.configuration, id: 0, logger: logger).get()
        } catch {
            throw NeverConnected(underlying: error)
        }
        do {
            try await connection.listen(on: Self.channel) { notifications in
                local.notifyEveryone()
                for try await n in notifications { deliver(n.payload) }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}

/// The wake-up listener could not connect at all (as opposed to losing a connection it had).
struct NeverConnected: Error, CustomStringConvertible {
    let underlying: any Error
    var description: String { "\(PostgresStoreError(underlying, doing: "connecting the wake-up listener"))" }
}
