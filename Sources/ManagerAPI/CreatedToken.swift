/// `POST /v1/tokens` answer: the only time the token's value is shown.
public struct CreatedToken: Codable, Sendable, Equatable {
    /// The bearer token; the manager keeps only its SHA-256.
    public var token: String
    public var info: TokenInfo

    /// Creates an answer.
    public init(token: String, info: TokenInfo) {
        self.token = token
        self.info = info
    }
}
