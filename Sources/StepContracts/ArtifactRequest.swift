import DelegateProtocol

/// The `artifact` member of a deploy step's payload: an image in the task's `dockerRegistry` connector, resolved before rendering.
///
/// ```json
/// "artifact": {"image": "library/nginx", "tag": "perl", "pinDigest": true}
/// ```
///
/// With it, `<+artifact.image>` renders as the registry's reference:
/// `HOST/library/nginx@sha256:...` when pinned (the default), `HOST/library/nginx:perl`
/// otherwise; `<+artifact.tag>` and `<+artifact.digest>` are set beside it.
public struct ArtifactRequest: Codable, Sendable, Equatable {
    /// The repository, e.g. `library/nginx`.
    public var image: String
    /// The tag (default `latest`).
    public var tag: String?
    /// Whether the task definition names the digest (default true).
    public var pinDigest: Bool?

    /// Creates an artifact request.
    public init(image: String, tag: String? = nil, pinDigest: Bool? = nil) {
        self.image = image
        self.tag = tag
        self.pinDigest = pinDigest
    }

    /// Throws naming the member that is empty or too long.
    public func validate() throws(PayloadProblem) {
        if let why = Identifiers.textProblem(image, maxBytes: 255) { throw .member("artifact.image", why) }
        if let tag, let why = Identifiers.textProblem(tag, maxBytes: 128) { throw .member("artifact.tag", why) }
    }
}
