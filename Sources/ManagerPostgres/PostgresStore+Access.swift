import Foundation
import ManagerAPI
import ManagerCore
import PostgresNIO

/// Tokens (hashes only), delegates' tokens and the audit trail in PostgreSQL.
extension PostgresStore: AccessRepository {
    // MARK: tokens

    /// Stores a new token under `hash`; false when the name is taken (by a live or a revoked token).
    public func createToken(_ info: TokenInfo, hash: String) async throws -> Bool {
        try await pool.withConnection { s in
            try await s.run("""
                INSERT INTO tokens (name, kind, scope, allowed_tags, hash, created_at)
                VALUES (\(info.name), \(info.kind.rawValue), \(info.scope?.rawValue), \(info.allowedTags), \(hash), \(info.createdAt.timeIntervalSince1970))
                ON CONFLICT (name) DO NOTHING
                """) > 0
        }
    }

    /// The token whose value hashes to `hash`, or nil.
    public func token(hash: String) async throws -> TokenInfo? {
        try await pool.withConnection { s in try await s.row("SELECT * FROM tokens WHERE hash=\(hash)").map(Self.tokenInfo) }
    }

    /// The token named `name`, or nil.
    public func token(named name: String) async throws -> TokenInfo? {
        try await pool.withConnection { s in try await s.row("SELECT * FROM tokens WHERE name=\(name)").map(Self.tokenInfo) }
    }

    /// Every token, by name.
    public func tokens() async throws -> [TokenInfo] {
        try await pool.withConnection { s in try await s.rows("SELECT * FROM tokens ORDER BY name").map(Self.tokenInfo) }
    }

    /// Records that the token was used at `now`.
    public func touchToken(_ name: String, now: Date) async throws {
        try await pool.withConnection { s in try await s.run("UPDATE tokens SET last_used_at=\(now.timeIntervalSince1970) WHERE name=\(name)") }
    }

    /// Revokes the token; its delegates are unregistered, their unstarted tasks requeued and their started ones failed (`token.revoked`).
    public func revokeToken(_ name: String, now: Date) async throws -> RevokeTokenAnswer? {
        let t = now.timeIntervalSince1970
        return try await pool.transaction { s in
            guard let row = try await s.row("SELECT * FROM tokens WHERE name=\(name) FOR UPDATE") else { return nil }
            let before = try Self.tokenInfo(row)
            if before.revokedAt != nil {
                return RevokeTokenAnswer(token: before, alreadyRevoked: true, delegates: [], requeued: [], failed: [])
            }
            try await s.run("UPDATE tokens SET revoked_at=\(t) WHERE name=\(name)")
            let delegates = try await s.rows("""
                SELECT d.id, d.name FROM delegates d JOIN delegate_tokens k ON k.delegate_id = d.id WHERE k.token_name=\(name) ORDER BY d.id FOR UPDATE OF d
                """)
            var requeued: [String] = []
            var failed: [String] = []
            var ids: [String] = []
            for delegate in delegates {
                let id = try delegate.get("id", as: String.self)
                let delegateName = try delegate.get("name", as: String.self)
                ids.append(id)
                try await s.run("UPDATE delegates SET state='unregistered' WHERE id=\(id)")
                let held = try await s.rows("SELECT id, started FROM tasks WHERE delegate_id=\(id) AND state IN ('leased','running') ORDER BY queue_order FOR UPDATE")
                for task in held {
                    let taskId = try task.get("id", as: String.self)
                    if try task.get("started", as: Bool.self) {
                        let message = "the token '\(name)' of delegate \(delegateName) (\(id)) was revoked while the task ran; the delegate was told to stop, so what the task changed is unknown"
                        try await s.run("""
                            UPDATE tasks SET state='failed', finished_at=\(t), error_code='token.revoked', error_message=\(message), lease_expires=NULL WHERE id=\(taskId)
                            """)
                        failed.append(taskId)
                    } else {
                        try await s.run("UPDATE tasks SET state='queued', delegate_id=NULL, lease_id=NULL, lease_expires=NULL WHERE id=\(taskId)")
                        requeued.append(taskId)
                    }
                }
            }
            var after = before
            after.revokedAt = Date(timeIntervalSince1970: t)
            return RevokeTokenAnswer(token: after, alreadyRevoked: false, delegates: ids, requeued: requeued, failed: failed)
        }
    }

    /// A token row as the API shows it.
    private static func tokenInfo(_ row: PostgresRandomAccessRow) throws -> TokenInfo {
        TokenInfo(
            name: try row.get("name"), kind: TokenKind(rawValue: try row.get("kind", as: String.self)) ?? .api,
            scope: try row.get("scope", as: String?.self).flatMap(TokenScope.init(rawValue:)),
            allowedTags: try row.get("allowed_tags", as: [String]?.self),
            createdAt: try row.date("created_at"), lastUsedAt: try row.optionalDate("last_used_at"), revokedAt: try row.optionalDate("revoked_at"))
    }

    // MARK: delegates' tokens

    /// Records that delegate `delegateId` registered with the token named `tokenName`.
    public func bindDelegate(_ delegateId: String, tokenName: String) async throws {
        try await pool.withConnection { s in try await Self.bind(s, delegateId: delegateId, tokenName: tokenName) }
    }

    /// Binds within the caller's session (and its transaction, if any).
    static func bind(_ s: PostgresSession, delegateId: String, tokenName: String) async throws {
        try await s.run("""
            INSERT INTO delegate_tokens (delegate_id, token_name) VALUES (\(delegateId), \(tokenName))
            ON CONFLICT (delegate_id) DO UPDATE SET token_name=excluded.token_name
            """)
    }

    /// The name of the token delegate `delegateId` registered with, or nil.
    public func delegateTokenName(_ delegateId: String) async throws -> String? {
        try await pool.withConnection { s in try await s.row("SELECT token_name FROM delegate_tokens WHERE delegate_id=\(delegateId)")?.get("token_name", as: String.self) }
    }

    /// The name of the token the delegate with `instanceId` registered with, or nil.
    public func delegateTokenName(instanceId: String) async throws -> String? {
        try await pool.withConnection { s in
            try await s.row("""
                SELECT k.token_name FROM delegates d JOIN delegate_tokens k ON k.delegate_id = d.id WHERE d.instance_id=\(instanceId)
                """)?.get("token_name", as: String.self)
        }
    }

    // MARK: audit trail

    /// Appends an entry.
    public func recordAudit(_ entry: AuditEntry) async throws {
        try await pool.withConnection { s in try await Self.insertAudit(entry, into: s) }
    }

    /// Appends an entry within the caller's session (and its transaction, if any).
    static func insertAudit(_ entry: AuditEntry, into s: PostgresSession) async throws {
        try await s.run("""
            INSERT INTO audit (time, actor, action, target, detail)
            VALUES (\(entry.time.timeIntervalSince1970), \(entry.actor), \(entry.action), \(entry.target), \(entry.detail))
            """)
    }

    /// The latest `limit` entries at or after `since`, oldest first.
    public func audit(since: Date?, limit: Int) async throws -> [AuditEntry] {
        let from = since?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude
        return try await pool.withConnection { s in
            try await s.rows("SELECT * FROM (SELECT * FROM audit WHERE time >= \(from) ORDER BY id DESC LIMIT \(max(0, limit))) a ORDER BY id").map {
                AuditEntry(
                    id: try $0.get("id", as: Int64.self), time: try $0.date("time"), actor: try $0.get("actor"), action: try $0.get("action"),
                    target: try $0.get("target"), detail: try $0.get("detail"))
            }
        }
    }
}
