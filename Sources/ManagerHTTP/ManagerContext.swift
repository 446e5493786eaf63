import Foundation
import Logging
import ManagerAPI
import ManagerCore

/// What every controller shares: the repositories, the fleet settings, the notifier, the dispatcher, the secrets vault and the authorizer.
struct ManagerContext: Sendable {
    /// Delegates and their leases.
    let delegates: any DelegateRepository
    /// Tasks, their results and their logs.
    let tasks: any TaskRepository
    /// Stored connectors and sealed secrets.
    let catalog: any CatalogRepository
    /// Tokens, delegates' tokens and the audit trail.
    let access: any AccessRepository
    let settings: ManagerSettings
    /// Wakes waiters in this replica or, on PostgreSQL, in every replica.
    let notifier: any WakeupBus
    let logger: Logger
    let dispatcher: TaskDispatcher
    /// Nil when the manager runs without `--secrets-key-file`.
    let vault: SecretVault?
    let authorizer: Authorizer

    /// Wakes every parked long poll: something was queued or returned to the queue.
    func wakePollers() { notifier.notifyAllDelegates() }

    /// Records in the audit trail that the request's caller did `action` to `target`; a failed write is logged, not answered.
    func audit(_ ctx: ManagerRequestContext, _ action: String, _ target: String, _ detail: String? = nil) async {
        let entry = AuditEntry(time: Date(), actor: Self.actor(ctx), action: action, target: target, detail: detail)
        do {
            try await access.recordAudit(entry)
        } catch {
            logger.error("cannot write the audit trail", metadata: ["action": "\(action)", "target": "\(target)", "actor": "\(entry.actor)", "error": "\(error)"])
        }
    }

    /// Who the audit trail names for a request: its token's name.
    static func actor(_ ctx: ManagerRequestContext) -> String { ctx.principal?.name ?? "unknown" }
}
