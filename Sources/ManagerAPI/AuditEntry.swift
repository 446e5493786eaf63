import Foundation

/// One line of the audit trail: who (the token's name) did what to which thing, and when.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// Increasing with time; nil until stored.
    public var id: Int64?
    public var time: Date
    /// The name of the token the call came with (`bootstrap` for `serve --token-file`).
    public var actor: String
    /// What was done, e.g. `task.submit`, `secret.delete`, `token.revoke`.
    public var action: String
    /// What it was done to: a task, execution, connector, secret, token or delegate id or name.
    public var target: String
    /// A short note (e.g. a task's type, a delegate's tags); never a secret.
    public var detail: String?

    /// Creates an entry.
    public init(id: Int64? = nil, time: Date, actor: String, action: String, target: String, detail: String? = nil) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }
}
