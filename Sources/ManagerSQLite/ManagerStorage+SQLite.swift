import ManagerCore

extension ManagerStorage {
    /// One manager on a SQLite file: the store for everything, wake-ups in this process.
    public static func sqlite(_ store: ManagerStore) -> ManagerStorage {
        ManagerStorage(repository: store, access: store, executions: store, notifications: store, wakeups: Notifier(), readiness: store)
    }
}
