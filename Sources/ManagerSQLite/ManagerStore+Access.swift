import Foundation
import GRDB
import ManagerAPI
import ManagerCore

/// Tokens (hashes only), delegates' tokens and the audit trail in the manager's SQLite file.
extension ManagerStore: AccessRepository {
    /// The tables (registered with the store's other migrations).
    static func registerAccessMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6: tokens, delegates' tokens, audit trail") { db in
            try db.execute(sql: """
                CREATE TABLE tokens (
                    name TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    scope TEXT,
                    allowedTags TEXT,
                    hash TEXT NOT NULL UNIQUE,
                    createdAt REAL NOT NULL,
                    lastUsedAt REAL,
                    revokedAt REAL
                );
                CREATE TABLE delegateTokens (
                    delegateId TEXT PRIMARY KEY,
                    tokenName TEXT NOT NULL
                );
                CREATE INDEX delegateTokens_token ON delegateTokens(tokenName);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time REAL NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX audit_time ON audit(time);
                """)
        }
    }

    // MARK: tokens

    /// Stores a new token under `hash`; false when the name is taken (by a live or a revoked token).
    public func createToken(_ info: TokenInfo, hash: String) async throws -> Bool {
        try await db.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM tokens WHERE name=?", arguments: [info.name]) ?? false { return false }
            try db.execute(
                sql: "INSERT INTO tokens (name, kind, scope, allowedTags, hash, createdAt) VALUES (?,?,?,?,?,?)",
                arguments: [info.name, info.kind.rawValue, info.scope?.rawValue, try info.allowedTags.map { try jsonString($0) }, hash,
                            info.createdAt.timeIntervalSince1970])
            return true
        }
    }

    /// The token whose value hashes to `hash`, or nil.
    public func token(hash: String) async throws -> TokenInfo? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE hash=?", arguments: [hash]).map(Self.tokenInfo) }
    }

    /// The token named `name`, or nil.
    public func token(named name: String) async throws -> TokenInfo? {
        try await db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE name=?", arguments: [name]).map(Self.tokenInfo) }
    }

    /// Every token, by name.
    public func tokens() async throws -> [TokenInfo] {
        try await db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY name").map(Self.tokenInfo) }
    }

    /// Records that the token was used at `now`.
    public func touchToken(_ name: String, now: Date) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE tokens SET lastUsedAt=? WHERE name=?", arguments: [now.timeIntervalSince1970, name])
        }
    }

    /// Revokes the token; its delegates are unregistered, their unstarted tasks requeued and their started ones failed (`token.revoked`).
    public func revokeToken(_ name: String, now: Date) async throws -> RevokeTokenAnswer? {
        try await db.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE name=?", arguments: [name]) else { return nil }
            let before = try Self.tokenInfo(row)
            if before.revokedAt != nil {
                return RevokeTokenAnswer(token: before, alreadyRevoked: true, delegates: [], requeued: [], failed: [])
            }
            try db.execute(sql: "UPDATE tokens SET revokedAt=? WHERE name=?", arguments: [now.timeIntervalSince1970, name])
            let delegates = try Row.fetchAll(
                db, sql: "SELECT d.id, d.name FROM delegates d JOIN delegateTokens t ON t.delegateId = d.id WHERE t.tokenName=? ORDER BY d.id",
                arguments: [name])
            var requeued: [String] = []
            var failed: [String] = []
            for delegate in delegates {
                let id: String = delegate["id"]
                let delegateName: String = delegate["name"]
                try db.execute(sql: "UPDATE delegates SET state='unregistered' WHERE id=?", arguments: [id])
                let held = try Row.fetchAll(
                    db, sql: "SELECT id, started FROM tasks WHERE delegateId=? AND state IN ('leased','running') ORDER BY queueOrder", arguments: [id])
                for task in held {
                    let taskId: String = task["id"]
                    if task["started"] as Bool {
                        try db.execute(
                            sql: "UPDATE tasks SET state='failed', finishedAt=?, errorCode='token.revoked', errorMessage=?, leaseExpires=NULL WHERE id=?",
                            arguments: [now.timeIntervalSince1970,
                                        "the token '\(name)' of delegate \(delegateName) (\(id)) was revoked while the task ran; the delegate was told to stop, so what the task changed is unknown",
                                        taskId])
                        failed.append(taskId)
                    } else {
                        try db.execute(sql: "UPDATE tasks SET state='queued', delegateId=NULL, leaseId=NULL, leaseExpires=NULL WHERE id=?", arguments: [taskId])
                        requeued.append(taskId)
                    }
                }
            }
            var after = before
            after.revokedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970)
            return RevokeTokenAnswer(token: after, alreadyRevoked: false, delegates: delegates.map { $0["id"] }, requeued: requeued, failed: failed)
        }
    }

    /// A token row as the API shows it.
    private static func tokenInfo(_ row: Row) throws -> TokenInfo {
        TokenInfo(
            name: row["name"], kind: TokenKind(rawValue: row["kind"]) ?? .api, scope: (row["scope"] as String?).flatMap(TokenScope.init(rawValue:)),
            allowedTags: try (row["allowedTags"] as String?).map { try jsonValue($0) },
            createdAt: Date(timeIntervalSince1970: row["createdAt"]),
            lastUsedAt: (row["lastUsedAt"] as Double?).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (row["revokedAt"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    // MARK: delegates' tokens

    /// Records that delegate `delegateId` registered with the token named `tokenName`.
    public func bindDelegate(_ delegateId: String, tokenName: String) async throws {
        try await db.write { db in try Self.bind(db, delegateId: delegateId, tokenName: tokenName) }
    }

    /// Binds within the caller's transaction.
    static func bind(_ db: Database, delegateId: String, tokenName: String) throws {
        try db.execute(
            sql: "INSERT INTO delegateTokens (delegateId, tokenName) VALUES (?,?) ON CONFLICT(delegateId) DO UPDATE SET tokenName=excluded.tokenName",
            arguments: [delegateId, tokenName])
    }

    /// The name of the token delegate `delegateId` registered with, or nil.
    public func delegateTokenName(_ delegateId: String) async throws -> String? {
        try await db.read { db in try String.fetchOne(db, sql: "SELECT tokenName FROM delegateTokens WHERE delegateId=?", arguments: [delegateId]) }
    }

    /// The name of the token the delegate with `instanceId` registered with, or nil.
    public func delegateTokenName(instanceId: String) async throws -> String? {
        try await db.read { db in
            try String.fetchOne(
                db, sql: "SELECT t.tokenName FROM delegates d JOIN delegateTokens t ON t.delegateId = d.id WHERE d.instanceId=?", arguments: [instanceId])
        }
    }

    // MARK: audit trail

    /// Appends an entry.
    public func recordAudit(_ entry: AuditEntry) async throws {
        try await db.write { db in try Self.insertAudit(entry, into: db) }
    }

    /// Appends an entry within the caller's transaction.
    static func insertAudit(_ entry: AuditEntry, into db: Database) throws {
        try db.execute(
            sql: "INSERT INTO audit (time, actor, action, target, detail) VALUES (?,?,?,?,?)",
            arguments: [entry.time.timeIntervalSince1970, entry.actor, entry.action, entry.target, entry.detail])
    }

    /// The latest `limit` entries at or after `since`, oldest first.
    public func audit(since: Date?, limit: Int) async throws -> [AuditEntry] {
        try await db.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM (SELECT * FROM audit WHERE time >= ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                arguments: [since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude, limit]
            ).map {
                AuditEntry(id: $0["id"], time: Date(timeIntervalSince1970: $0["time"]), actor: $0["actor"], action: $0["action"], target: $0["target"], detail: $0["detail"])
            }
        }
    }
}
