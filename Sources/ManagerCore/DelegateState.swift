/// How a delegate stands with the manager; encoded as the strings `DelegateInfo.state` has always carried.
public enum DelegateState: String, Codable, Sendable, CaseIterable {
    /// Heard from recently and taking tasks.
    case connected
    /// Shutting down: it finishes what it holds and is given nothing new.
    case draining
    /// Silent for longer than the manager's stale limit (shown, never stored).
    case disconnected
    /// Said goodbye.
    case unregistered
}
