import AWSServices
import Manifests

/// What a task may make this delegate reach, as its operator configured it (`git_protocols`, `web_identity_token_files`).
///
/// Everything a task carries is input from the manager; the policy is the
/// operator's word on the delegate's own host (docs/security.md).
public struct StepPolicy: Sendable, Equatable {
    /// The transports Git manifests are fetched over (default: https only).
    public var gitTransports: Set<GitSource.Transport>
    /// What a task's AWS connector may reach on this host.
    public var connectors: ConnectorPolicy

    /// Creates a policy; the defaults are the strictest.
    public init(gitTransports: Set<GitSource.Transport> = [.https], connectors: ConnectorPolicy = .strict) {
        self.gitTransports = gitTransports
        self.connectors = connectors
    }
}
