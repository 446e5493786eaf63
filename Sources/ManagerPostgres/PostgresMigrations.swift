import Foundation
import ManagerCore
import PostgresNIO

/// The PostgreSQL schema's one migration history: numbered steps, each applied once, in order, in one transaction.
///
/// Replicas starting together take an advisory lock first, so exactly one of
/// them migrates and the others find the work done. Text columns that are
/// sorted use the "C" collation, so names sort byte-wise as in SQLite. Times
/// are seconds since 1970 (`double precision`), as in the SQLite store.
enum PostgresMigrations {
    /// The advisory lock key migrations hold (any constant, shared by every replica).
    static let lockKey: Int64 = 0x6563_735F_6D69_67  // "ecs_mig"

    /// The steps, oldest first; a step is never edited once released, only followed by a new one.
    static let steps: [(version: Int, name: String, sql: String)] = [
        (1, "delegates, tasks, leases, logs", """
            CREATE TABLE delegates (
                id text COLLATE "C" PRIMARY KEY,
                instance_id text NOT NULL UNIQUE,
                name text COLLATE "C" NOT NULL,
                hostname text NOT NULL,
                version text NOT NULL,
                tags text[] NOT NULL,
                tag_keys text[] NOT NULL,
                task_types text[] NOT NULL,
                capacity integer NOT NULL,
                free_capacity integer NOT NULL,
                state text NOT NULL,
                last_seen double precision NOT NULL,
                last_heartbeat double precision,
                generation bigint NOT NULL DEFAULT 0
            );
            CREATE TABLE tasks (
                queue_order bigserial PRIMARY KEY,
                id text NOT NULL UNIQUE,
                type text NOT NULL,
                selectors text[] NOT NULL,
                selector_keys text[] NOT NULL,
                payload text NOT NULL,
                timeout_seconds integer NOT NULL,
                execution_id text,
                has_sensitive boolean NOT NULL,
                state text NOT NULL,
                delegate_id text,
                lease_id text,
                lease_expires double precision,
                started boolean NOT NULL DEFAULT false,
                cancel_requested boolean NOT NULL DEFAULT false,
                created_at double precision NOT NULL,
                finished_at double precision,
                outputs text,
                error_code text,
                error_message text,
                snapshot text,
                acked_through bigint NOT NULL DEFAULT 0,
                connector_name text,
                connector text,
                artifact_connector text
            );
            CREATE INDEX tasks_queued ON tasks (queue_order) WHERE state = 'queued';
            CREATE INDEX tasks_live ON tasks (delegate_id) WHERE state IN ('leased', 'running');
            CREATE INDEX tasks_lease_expires ON tasks (lease_expires) WHERE state IN ('leased', 'running');
            CREATE TABLE logs (
                task_id text NOT NULL,
                seq bigint NOT NULL,
                time double precision NOT NULL,
                level text NOT NULL,
                unit text NOT NULL,
                text text NOT NULL,
                PRIMARY KEY (task_id, seq)
            );
            """),
        (2, "connectors and sealed secrets", """
            CREATE TABLE connectors (
                name text COLLATE "C" PRIMARY KEY,
                spec text NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL
            );
            CREATE TABLE secrets (
                name text COLLATE "C" PRIMARY KEY,
                sealed bytea NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL
            );
            """),
        (3, "executions", """
            CREATE TABLE executions (
                id text PRIMARY KEY,
                pipeline text NOT NULL,
                phase text NOT NULL,
                engine text NOT NULL,
                created_at double precision NOT NULL,
                finished_at double precision
            );
            CREATE INDEX executions_phase ON executions (phase);
            CREATE INDEX executions_created ON executions (created_at);
            """),
        (4, "tokens, delegates' tokens, audit trail", """
            CREATE TABLE tokens (
                name text COLLATE "C" PRIMARY KEY,
                kind text NOT NULL,
                scope text,
                allowed_tags text[],
                hash text NOT NULL UNIQUE,
                created_at double precision NOT NULL,
                last_used_at double precision,
                revoked_at double precision
            );
            CREATE TABLE delegate_tokens (
                delegate_id text PRIMARY KEY,
                token_name text NOT NULL
            );
            CREATE INDEX delegate_tokens_token ON delegate_tokens (token_name);
            CREATE TABLE audit (
                id bigserial PRIMARY KEY,
                time double precision NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                target text NOT NULL,
                detail text
            );
            CREATE INDEX audit_time ON audit (time);
            """),
        (5, "replicas, and the replica holding a task's inline secrets", """
            CREATE TABLE replicas (
                id text PRIMARY KEY,
                started_at double precision NOT NULL,
                last_seen double precision NOT NULL
            );
            ALTER TABLE tasks ADD COLUMN submitted_by text;
            """),
        (6, "notifiers and their outbox", """
            CREATE TABLE notifiers (
                name text COLLATE "C" PRIMARY KEY,
                spec text NOT NULL,
                events text NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL
            );
            CREATE TABLE notification_outbox (
                id bigserial PRIMARY KEY,
                notifier text COLLATE "C" NOT NULL,
                dedupe_key text NOT NULL,
                event text NOT NULL,
                execution_id text NOT NULL,
                message text NOT NULL,
                state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at double precision NOT NULL,
                last_status integer,
                last_error text,
                created_at double precision NOT NULL,
                delivered_at double precision,
                UNIQUE (notifier, dedupe_key)
            );
            CREATE INDEX notification_outbox_due ON notification_outbox (state, next_attempt_at);
            """),
    ]

    /// Applies every step the database lacks; returns the versions applied.
    @discardableResult
    static func migrate(_ pool: PostgresConnectionPool) async throws -> [Int] {
        try await pool.transaction { s in
            try await s.run("SELECT pg_advisory_xact_lock(\(lockKey))")
            try await s.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at double precision NOT NULL)
                """)
            let done = Set(try await s.rows("SELECT version FROM schema_migrations").map { try $0.get("version", as: Int.self) })
            if let newest = done.max(), let known = steps.last?.version, newest > known {
                throw PostgresStoreError(description: "the database's schema is at version \(newest), newer than this manager knows (\(known)); run the newer ecs-manager")
            }
            var applied: [Int] = []
            for step in steps where !done.contains(step.version) {
                // One statement per query (the extended protocol takes one); no bound values, the text is ours and holds no ';' but between statements.
                for statement in step.sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await s.run(PostgresQuery(unsafeSQL: String(statement)))
                }
                try await s.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(step.version), \(step.name), \(Date().timeIntervalSince1970))")
                applied.append(step.version)
            }
            return applied
        }
    }
}
