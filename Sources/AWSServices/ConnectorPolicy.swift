/// What a delegate's operator lets a task's AWS connector reach on the delegate's host.
///
/// A connector comes from the manager, so it is input: it may not make the
/// delegate read an arbitrary local file. A `webIdentity` connector's
/// `tokenFile` must be the delegate's own `AWS_WEB_IDENTITY_TOKEN_FILE` or
/// one of `webIdentityTokenFiles` (the delegate's `web_identity_token_files`).
public struct ConnectorPolicy: Sendable, Equatable {
    /// Token files a `webIdentity` connector may name besides the environment's `AWS_WEB_IDENTITY_TOKEN_FILE`.
    public var webIdentityTokenFiles: Set<String>

    /// Creates a policy.
    public init(webIdentityTokenFiles: Set<String> = []) {
        self.webIdentityTokenFiles = webIdentityTokenFiles
    }

    /// Nothing beyond what the delegate's environment names.
    public static let strict = ConnectorPolicy()

    /// Why a connector may not use `tokenFile` (nil when it may), given the delegate's `environment`.
    public func tokenFileProblem(_ tokenFile: String, environment: [String: String]) -> String? {
        if tokenFile == environment["AWS_WEB_IDENTITY_TOKEN_FILE"] || webIdentityTokenFiles.contains(tokenFile) { return nil }
        return "webIdentity tokenFile '\(tokenFile.prefix(256))' is not a token file this delegate allows: a connector may name only the delegate's AWS_WEB_IDENTITY_TOKEN_FILE or a file listed in its web_identity_token_files"
    }
}
