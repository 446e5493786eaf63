/// What a notifier can be told about an execution: it started, waits for an approval, or ended one of three ways.
public enum NotificationEvent: String, Codable, Sendable, CaseIterable {
    /// The execution's first step was submitted.
    case started
    /// The execution waits at an approval gate for someone to approve or reject it.
    case waiting
    /// Every step succeeded.
    case succeeded
    /// A step failed and nothing was rolled back (`onFailure: abort`), or the rollback itself failed.
    case failed
    /// A step failed, was cancelled or rejected, and what ran was rolled back (or a finished execution was rolled back by hand).
    case rolledBack
}
