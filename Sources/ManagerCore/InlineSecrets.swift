import DelegateProtocol
import Synchronization

/// The inline secrets and connectors of queued tasks, held in the manager's memory only (never in the repository).
///
/// A manager restart loses them: such a task fails with `secrets.lost` when it
/// is leased, rather than run without them. Stored connectors do not have this
/// limit: their tasks keep secret references, resolved at lease time.
package final class InlineSecrets: Sendable {
    /// What one task carried inline.
    struct Entry: Sendable {
        var secrets: [String: String]
        var connector: JSONValue?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// An empty table.
    package init() {}

    /// Keeps what task `id` carried inline, if anything.
    func keep(_ s: SubmitTaskRequest, id: String) {
        guard !(s.secrets ?? [:]).isEmpty || s.connector != nil else { return }
        entries.withLock { $0[id] = Entry(secrets: s.secrets ?? [:], connector: s.connector) }
    }

    /// What task `id` carried inline, or nil when this process never had it.
    func entry(_ id: String) -> Entry? { entries.withLock { $0[id] } }

    /// Forgets task `id` (it ended).
    func forget(_ id: String) { entries.withLock { _ = $0.removeValue(forKey: id) } }
}
