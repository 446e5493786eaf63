/// The manager refused the delegate's token (401: unknown or revoked; 403 at registration: e.g. a tag its token does not allow); the delegate stopped.
public struct ManagerRefusedToken: Error, Sendable, CustomStringConvertible {
    /// The call that was refused and the manager's answer.
    public let reason: String

    public var description: String {
        "the manager refused this delegate's token (\(reason)); the delegate took no more tasks and stopped: give it a valid token (token_file) and start it again"
    }
}
