import Foundation
import GRDB
import ManagerAPI
import ManagerCore

/// Notifiers and the notification outbox in the manager's SQLite file.
extension ManagerStore: NotificationRepository {
    /// The notifiers and outbox tables (registered with the store's other migrations).
    static func registerNotificationMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v7: notifiers and their outbox") { db in
            try db.execute(sql: """
                CREATE TABLE notifiers (
                    name TEXT PRIMARY KEY,
                    spec TEXT NOT NULL,
                    events TEXT NOT NULL,
                    createdAt REAL NOT NULL,
                    updatedAt REAL NOT NULL
                );
                CREATE TABLE notificationOutbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    notifier TEXT NOT NULL,
                    dedupeKey TEXT NOT NULL,
                    event TEXT NOT NULL,
                    executionId TEXT NOT NULL,
                    message TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt REAL NOT NULL,
                    lastStatus INTEGER,
                    lastError TEXT,
                    createdAt REAL NOT NULL,
                    deliveredAt REAL,
                    UNIQUE (notifier, dedupeKey)
                );
                CREATE INDEX notificationOutbox_due ON notificationOutbox(state, nextAttemptAt);
                """)
        }
    }

    public func putNotifier(_ notifier: NotifierSpec, now: Date) async throws -> Bool {
        let spec = try jsonString(notifier)
        return try await db.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM notifiers WHERE name=?", arguments: [notifier.name]) ?? false
            try db.execute(
                sql: """
                    INSERT INTO notifiers (name, spec, events, createdAt, updatedAt) VALUES (?,?,?,?,?)
                    ON CONFLICT(name) DO UPDATE SET spec=excluded.spec, events=excluded.events, updatedAt=excluded.updatedAt
                    """,
                arguments: [notifier.name, spec, Self.eventsColumn(notifier.events), now.timeIntervalSince1970, now.timeIntervalSince1970])
            return !existed
        }
    }

    public func notifiers() async throws -> [NotifierSpec] {
        try await db.read { db in try String.fetchAll(db, sql: "SELECT spec FROM notifiers ORDER BY name").map { try jsonValue($0) } }
    }

    public func notifier(_ name: String) async throws -> NotifierSpec? {
        try await db.read { db in try String.fetchOne(db, sql: "SELECT spec FROM notifiers WHERE name=?", arguments: [name]).map { try jsonValue($0) } }
    }

    public func deleteNotifier(_ name: String, now: Date) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM notifiers WHERE name=?", arguments: [name])
            guard db.changesCount > 0 else { return false }
            try db.execute(
                sql: "UPDATE notificationOutbox SET state='failed', lastError='the notifier was deleted' WHERE notifier=? AND state='pending'",
                arguments: [name])
            return true
        }
    }

    public func enqueueNotification(_ message: NotificationMessage, key: String, now: Date) async throws {
        let text = try jsonString(message)
        try await db.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO notificationOutbox (notifier, dedupeKey, event, executionId, message, state, attempts, nextAttemptAt, createdAt)
                    SELECT name, ?, ?, ?, ?, 'pending', 0, ?, ? FROM notifiers WHERE events LIKE ?
                    """,
                arguments: [key, message.event.rawValue, message.executionId, text, now.timeIntervalSince1970, now.timeIntervalSince1970, Self.eventPattern(message.event)])
        }
    }

    public func claimDeliveries(now: Date, lease: TimeInterval, limit: Int) async throws -> [ClaimedDelivery] {
        try await db.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, notifier, message, attempts FROM notificationOutbox WHERE state='pending' AND nextAttemptAt <= ? ORDER BY id LIMIT ?",
                arguments: [now.timeIntervalSince1970, max(0, limit)])
            var claimed: [ClaimedDelivery] = []
            for row in rows {
                let id: Int64 = row["id"]
                try db.execute(
                    sql: "UPDATE notificationOutbox SET attempts=attempts+1, nextAttemptAt=? WHERE id=?", arguments: [now.timeIntervalSince1970 + lease, id])
                let attempts: Int = row["attempts"]
                claimed.append(ClaimedDelivery(id: id, notifier: row["notifier"], message: try jsonValue(row["message"]), attempt: attempts + 1))
            }
            return claimed
        }
    }

    public func deliverySucceeded(id: Int64, status: Int, now: Date) async throws {
        try await db.write { db in
            try db.execute(
                sql: "UPDATE notificationOutbox SET state='delivered', lastStatus=?, lastError=NULL, deliveredAt=? WHERE id=? AND state='pending'",
                arguments: [status, now.timeIntervalSince1970, id])
        }
    }

    public func deliveryFailed(id: Int64, status: Int?, error: String, retryAt: Date?, now: Date) async throws {
        try await db.write { db in
            try db.execute(
                sql: "UPDATE notificationOutbox SET state=?, lastStatus=?, lastError=?, nextAttemptAt=COALESCE(?, nextAttemptAt) WHERE id=? AND state='pending'",
                arguments: [retryAt == nil ? "failed" : "pending", status, String(error.prefix(1024)), retryAt?.timeIntervalSince1970, id])
        }
    }

    public func deliveries(limit: Int) async throws -> [NotificationDelivery] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM notificationOutbox ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)]).map { row in
                let state = NotificationDelivery.State(rawValue: row["state"]) ?? .failed
                return NotificationDelivery(
                    id: row["id"], notifier: row["notifier"], event: NotificationEvent(rawValue: row["event"]) ?? .failed, executionId: row["executionId"],
                    state: state, attempts: row["attempts"], lastStatus: row["lastStatus"], lastError: row["lastError"],
                    createdAt: Date(timeIntervalSince1970: row["createdAt"]),
                    nextAttemptAt: state == .pending ? Date(timeIntervalSince1970: row["nextAttemptAt"]) : nil,
                    deliveredAt: (row["deliveredAt"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    public func pruneDeliveries(before date: Date) async throws -> Int {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM notificationOutbox WHERE state IN ('delivered', 'failed') AND createdAt < ?", arguments: [date.timeIntervalSince1970])
            return db.changesCount
        }
    }
}
