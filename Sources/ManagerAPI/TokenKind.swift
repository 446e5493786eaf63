/// What a stored token is for: a delegate's, or a person's or CI's API key.
public enum TokenKind: String, Codable, Sendable, CaseIterable {
    /// Registers, heartbeats, polls and reports for the leases its delegates hold; nothing else.
    case delegate
    /// Calls the API within its scope.
    case api
}
