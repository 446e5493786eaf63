import DelegateProtocol

/// A pipeline's artifact taken from a stored `dockerRegistry` connector: the delegate resolves it, pinned to its digest by default.
///
/// ```yaml
/// artifact:
///   connector: local-registry   # a stored dockerRegistry connector
///   image: library/nginx
///   tag: perl                   # default: latest
///   pinDigest: true             # default: true; <+artifact.image> is then repo@sha256:...
/// ```
///
/// A pipeline whose `artifact` has no `connector` keeps the plain form
/// (`artifact: {image: nginx:perl}`): `<+artifact.image>` is the string given.
public struct PipelineArtifact: Codable, Sendable, Equatable {
    /// The stored `dockerRegistry` connector.
    public var connector: String
    /// The repository in the registry, e.g. `library/nginx`.
    public var image: String
    /// The tag to deploy.
    public var tag: String
    /// Whether the task definition names the digest the tag resolves to at deploy time.
    public var pinDigest: Bool

    /// The keys an artifact with a connector may hold.
    static let keys = ["connector", "image", "tag", "pinDigest"]

    /// Creates an artifact.
    public init(connector: String, image: String, tag: String = "latest", pinDigest: Bool = true) {
        self.connector = connector
        self.image = image
        self.tag = tag
        self.pinDigest = pinDigest
    }

    /// The `artifact` member of a deploy step's payload (the connector itself travels with the task).
    public var payload: JSONValue {
        ["image": .string(image), "tag": .string(tag), "pinDigest": .bool(pinDigest)]
    }
}
