/// `POST /v1/tokens` body: the token to create (the manager makes its value).
public struct CreateTokenRequest: Codable, Sendable, Equatable {
    public var name: String
    public var kind: TokenKind
    /// Required for API keys, refused for delegate tokens.
    public var scope: TokenScope?
    /// Only for delegate tokens.
    public var allowedTags: [String]?

    /// Creates a request.
    public init(name: String, kind: TokenKind, scope: TokenScope? = nil, allowedTags: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.scope = scope
        self.allowedTags = allowedTags
    }
}
