import DelegateProtocol

/// Where a task is in its life; encoded as the same strings the wire protocol has always used.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    case queued, leased, running, succeeded, failed, cancelled, rejected

    /// Whether the task has ended (no lease, no more lines).
    public var isFinished: Bool { TaskStatus(rawValue: rawValue) != nil }

    /// Whether a delegate holds the task under a lease.
    public var isLeased: Bool { self == .leased || self == .running }

    /// The state a result puts the task in.
    public init(_ status: TaskStatus) {
        switch status {
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        case .rejected: self = .rejected
        }
    }
}
