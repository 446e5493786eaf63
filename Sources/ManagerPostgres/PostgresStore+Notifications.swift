import Foundation
import ManagerAPI
import ManagerCore
import PostgresNIO

/// Notifiers and the notification outbox in PostgreSQL: replicas share one outbox and never claim the same delivery at once.
extension PostgresStore: NotificationRepository {
    public func putNotifier(_ notifier: NotifierSpec, now: Date) async throws -> Bool {
        let spec = try jsonString(notifier)
        let events = Self.eventsColumn(notifier.events)
        let at = now.timeIntervalSince1970
        return try await pool.withConnection { s in
            // xmax = 0 only on a row this statement inserted.
            try await s.row("""
                INSERT INTO notifiers (name, spec, events, created_at, updated_at) VALUES (\(notifier.name), \(spec), \(events), \(at), \(at))
                ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, events = EXCLUDED.events, updated_at = EXCLUDED.updated_at
                RETURNING (xmax = 0) AS created
                """)?.get("created", as: Bool.self) ?? false
        }
    }

    public func notifiers() async throws -> [NotifierSpec] {
        try await pool.withConnection { s in
            try await s.rows("SELECT spec FROM notifiers ORDER BY name").map { try jsonValue(try $0.get("spec", as: String.self)) }
        }
    }

    public func notifier(_ name: String) async throws -> NotifierSpec? {
        try await pool.withConnection { s in
            try await s.row("SELECT spec FROM notifiers WHERE name = \(name)").map { try jsonValue(try $0.get("spec", as: String.self)) }
        }
    }

    public func deleteNotifier(_ name: String, now: Date) async throws -> Bool {
        try await pool.transaction { s in
            guard try await s.run("DELETE FROM notifiers WHERE name = \(name)") > 0 else { return false }
            try await s.run("UPDATE notification_outbox SET state = 'failed', last_error = 'the notifier was deleted' WHERE notifier = \(name) AND state = 'pending'")
            return true
        }
    }

    public func enqueueNotification(_ message: NotificationMessage, key: String, now: Date) async throws {
        let text = try jsonString(message)
        let at = now.timeIntervalSince1970
        try await pool.withConnection { s in
            try await s.run("""
                INSERT INTO notification_outbox (notifier, dedupe_key, event, execution_id, message, state, attempts, next_attempt_at, created_at)
                SELECT name, \(key), \(message.event.rawValue), \(message.executionId), \(text), 'pending', 0, \(at), \(at)
                FROM notifiers WHERE events LIKE \(Self.eventPattern(message.event))
                ON CONFLICT (notifier, dedupe_key) DO NOTHING
                """)
        }
    }

    public func claimDeliveries(now: Date, lease: TimeInterval, limit: Int) async throws -> [ClaimedDelivery] {
        let at = now.timeIntervalSince1970
        return try await pool.withConnection { s in
            try await s.rows("""
                UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = \(at + lease)
                WHERE id IN (
                    SELECT id FROM notification_outbox WHERE state = 'pending' AND next_attempt_at <= \(at)
                    ORDER BY id LIMIT \(max(0, limit)) FOR UPDATE SKIP LOCKED)
                RETURNING id, notifier, message, attempts
                """).map { row in
                ClaimedDelivery(
                    id: try row.get("id", as: Int64.self), notifier: try row.get("notifier", as: String.self),
                    message: try jsonValue(try row.get("message", as: String.self)), attempt: try row.get("attempts", as: Int.self))
            }.sorted { $0.id < $1.id }
        }
    }

    public func deliverySucceeded(id: Int64, status: Int, now: Date) async throws {
        try await pool.withConnection { s in
            try await s.run("""
                UPDATE notification_outbox SET state = 'delivered', last_status = \(status), last_error = NULL, delivered_at = \(now.timeIntervalSince1970)
                WHERE id = \(id) AND state = 'pending'
                """)
        }
    }

    public func deliveryFailed(id: Int64, status: Int?, error: String, retryAt: Date?, now: Date) async throws {
        let state = retryAt == nil ? "failed" : "pending"
        let message = String(error.prefix(1024))
        try await pool.withConnection { s in
            try await s.run("""
                UPDATE notification_outbox SET state = \(state), last_status = \(status), last_error = \(message),
                next_attempt_at = COALESCE(\(retryAt?.timeIntervalSince1970), next_attempt_at)
                WHERE id = \(id) AND state = 'pending'
                """)
        }
    }

    public func deliveries(limit: Int) async throws -> [NotificationDelivery] {
        try await pool.withConnection { s in
            try await s.rows("SELECT * FROM notification_outbox ORDER BY id DESC LIMIT \(max(0, limit))").map { row in
                let state = NotificationDelivery.State(rawValue: try row.get("state", as: String.self)) ?? .failed
                return NotificationDelivery(
                    id: try row.get("id", as: Int64.self), notifier: try row.get("notifier", as: String.self),
                    event: NotificationEvent(rawValue: try row.get("event", as: String.self)) ?? .failed,
                    executionId: try row.get("execution_id", as: String.self), state: state, attempts: try row.get("attempts", as: Int.self),
                    lastStatus: try row.get("last_status", as: Int?.self), lastError: try row.get("last_error", as: String?.self),
                    createdAt: try row.date("created_at"), nextAttemptAt: state == .pending ? try row.date("next_attempt_at") : nil,
                    deliveredAt: try row.optionalDate("delivered_at"))
            }
        }
    }

    public func pruneDeliveries(before date: Date) async throws -> Int {
        try await pool.withConnection { s in
            try await s.run("DELETE FROM notification_outbox WHERE state IN ('delivered', 'failed') AND created_at < \(date.timeIntervalSince1970)")
        }
    }
}
