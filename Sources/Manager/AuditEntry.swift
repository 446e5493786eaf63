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

/// The actions the audit trail records, by their stored names.
public enum AuditAction {
    public static let taskSubmit = "task.submit"
    public static let taskCancel = "task.cancel"
    public static let executionRun = "execution.run"
    public static let executionCancel = "execution.cancel"
    public static let executionRollback = "execution.rollback"
    public static let connectorApply = "connector.apply"
    public static let connectorDelete = "connector.delete"
    public static let connectorTest = "connector.test"
    public static let secretSet = "secret.set"
    public static let secretDelete = "secret.delete"
    public static let tokenCreate = "token.create"
    public static let tokenRevoke = "token.revoke"
    public static let delegateRegister = "delegate.register"
    public static let delegateUnregister = "delegate.unregister"
}
