import Foundation
import ManagerAPI

/// Who may call the manager and what they did: tokens (stored as SHA-256 hashes), delegates' tokens, and the audit trail.
///
/// A seam beside `ManagerRepository`, as `ExecutionRepository` is: `ManagerStore`
/// implements it in SQLite, a PostgreSQL repository will beside the rest, and
/// `AccessRepositoryContractTests` hold both to the same contract. A token's value never
/// reaches an implementation: only the lowercase hex SHA-256 of it.
public protocol AccessRepository: Sendable {
    // MARK: tokens

    /// Stores a new token under `hash`; false when a token (live or revoked) already has `info.name`.
    func createToken(_ info: TokenInfo, hash: String) async throws -> Bool
    /// The token whose value hashes to `hash` (revoked ones too), or nil.
    func token(hash: String) async throws -> TokenInfo?
    /// The token named `name`, or nil.
    func token(named name: String) async throws -> TokenInfo?
    /// Every token, by name.
    func tokens() async throws -> [TokenInfo]
    /// Records that the token was used at `now`.
    func touchToken(_ name: String, now: Date) async throws
    /// Revokes the token and reports the tasks its delegates held: unstarted ones go back to the queue, started ones fail.
    ///
    /// Nil when there is no such token. Revoking a revoked token changes nothing
    /// and says so (`alreadyRevoked`).
    func revokeToken(_ name: String, now: Date) async throws -> RevokeTokenAnswer?

    // MARK: delegates' tokens

    /// Records that delegate `delegateId` registered with the token named `tokenName`.
    func bindDelegate(_ delegateId: String, tokenName: String) async throws
    /// The name of the token delegate `delegateId` registered with, or nil (unknown delegate, or registered before tokens).
    func delegateTokenName(_ delegateId: String) async throws -> String?
    /// The name of the token the delegate with `instanceId` registered with, or nil.
    func delegateTokenName(instanceId: String) async throws -> String?

    // MARK: audit trail

    /// Appends an entry.
    func recordAudit(_ entry: AuditEntry) async throws
    /// The latest `limit` entries at or after `since` (any time when nil), oldest first.
    func audit(since: Date?, limit: Int) async throws -> [AuditEntry]
}
