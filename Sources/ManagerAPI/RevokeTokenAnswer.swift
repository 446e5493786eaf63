/// What revoking a token did, as `POST /v1/tokens/{name}/revoke` answers it: the token and what happened to its delegates' tasks.
public struct RevokeTokenAnswer: Codable, Sendable, Equatable {
    public var token: TokenInfo
    /// Whether it had been revoked before this call (nothing else changed then).
    public var alreadyRevoked: Bool
    /// Delegates that had registered with it (now shown as unregistered); they take no more tasks.
    public var delegates: [String]
    /// Tasks they had been handed and not started: back in the queue.
    public var requeued: [String]
    /// Tasks they were running: failed with `token.revoked`.
    public var failed: [String]

    /// Creates an answer.
    public init(token: TokenInfo, alreadyRevoked: Bool, delegates: [String], requeued: [String], failed: [String]) {
        self.token = token
        self.alreadyRevoked = alreadyRevoked
        self.delegates = delegates
        self.requeued = requeued
        self.failed = failed
    }
}
