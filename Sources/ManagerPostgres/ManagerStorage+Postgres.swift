import Logging
import ManagerCore

extension ManagerStorage {
    /// A replica on PostgreSQL: the store for everything, wake-ups through `LISTEN/NOTIFY` so replicas wake each other.
    public static func postgres(_ store: PostgresStore, logger: Logger) -> ManagerStorage {
        ManagerStorage(repository: store, access: store, executions: store, notifications: store, wakeups: PostgresWakeupBus(store: store, logger: logger), readiness: store)
    }
}
