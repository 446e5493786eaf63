/// Whether the manager's storage can serve requests: it answers, and its schema has every migration this manager knows.
///
/// `GET /readyz` asks it; a load balancer or a Kubernetes probe takes the
/// replica out of rotation while it says why not.
public protocol StorageReadiness: Sendable {
    /// Nil when ready; otherwise why not, in one line that names no secret (no password, no key).
    func unreadiness() async -> String?
}
