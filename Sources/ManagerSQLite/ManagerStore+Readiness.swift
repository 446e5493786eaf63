import GRDB
import ManagerCore

extension ManagerStore: StorageReadiness {
    /// Ready when the file answers a read and every migration this manager knows has been applied.
    public func unreadiness() async -> String? {
        do {
            let migrated = try await db.read { db in try Self.migrator.hasCompletedMigrations(db) }
            return migrated ? nil : "the SQLite schema lacks migrations this manager knows"
        } catch {
            return "SQLite does not answer: \(error)"
        }
    }
}
