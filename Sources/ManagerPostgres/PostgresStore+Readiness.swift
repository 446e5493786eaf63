import ManagerCore
import PostgresNIO

extension PostgresStore: StorageReadiness {
    /// Ready when PostgreSQL answers and its schema is at the newest migration this manager knows.
    public func unreadiness() async -> String? {
        do {
            let newest = try await pool.withConnection { s in
                try await s.rows("SELECT coalesce(max(version), 0) AS v FROM schema_migrations").first.map { try $0.get("v", as: Int.self) } ?? 0
            }
            let known = PostgresMigrations.steps.last?.version ?? 0
            return newest >= known ? nil : "the PostgreSQL schema is at version \(newest); this manager needs \(known)"
        } catch {
            return "PostgreSQL at \(url) does not answer: \(error)"
        }
    }
}
