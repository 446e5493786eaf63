import Logging

/// What every controller shares: the repository, the fleet settings, the notifier, the dispatcher and the secrets vault.
struct ManagerContext: Sendable {
    let repository: any ManagerRepository
    let settings: ManagerSettings
    let notifier: Notifier
    let logger: Logger
    let dispatcher: TaskDispatcher
    /// Nil when the manager runs without `--secrets-key-file`.
    let vault: SecretVault?

    /// Wakes every parked long poll: something was queued or returned to the queue.
    func wakePollers() { notifier.notify { $0.hasPrefix("delegate:") } }

    /// The notifier key a task's log follows wait on.
    static func taskKey(_ id: String) -> String { "task:\(id)" }

    /// The notifier key a delegate's long polls wait on.
    static func delegateKey(_ id: String) -> String { "delegate:\(id)" }
}
