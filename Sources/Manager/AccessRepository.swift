import Foundation

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
    func revokeToken(_ name: String, now: Date) async throws -> TokenRevocation?

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

/// What revoking a token did.
public struct TokenRevocation: Sendable, Equatable {
    /// The token as it is now.
    public var token: TokenInfo
    /// It had been revoked before; nothing changed.
    public var alreadyRevoked: Bool
    /// Delegates that had registered with it (they are now shown as unregistered).
    public var delegateIds: [String]
    /// Tasks its delegates had been handed and not started: back in the queue.
    public var requeued: [String]
    /// Tasks its delegates were running: failed with `token.revoked`.
    public var failed: [String]

    /// Creates a report.
    public init(token: TokenInfo, alreadyRevoked: Bool, delegateIds: [String], requeued: [String], failed: [String]) {
        self.token = token
        self.alreadyRevoked = alreadyRevoked
        self.delegateIds = delegateIds
        self.requeued = requeued
        self.failed = failed
    }
}
