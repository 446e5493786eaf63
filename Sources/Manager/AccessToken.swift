import Foundation

/// What a stored token is for: a delegate's, or a person's or CI's API key.
public enum TokenKind: String, Codable, Sendable, CaseIterable {
    /// Registers, heartbeats, polls and reports for the leases its delegates hold; nothing else.
    case delegate
    /// Calls the API within its scope.
    case api
}

/// What an API key may do; each scope includes the ones before it (admin ⊇ run ⊇ read).
public enum TokenScope: String, Codable, Sendable, CaseIterable, Comparable {
    /// List and follow tasks, executions and delegates.
    case read
    /// And submit, run, cancel and roll back.
    case run
    /// And manage connectors, secrets and tokens.
    case admin

    /// Ranks scopes by what they include.
    public static func < (a: TokenScope, b: TokenScope) -> Bool { a.rank < b.rank }

    /// The position of the scope in read < run < admin.
    private var rank: Int { TokenScope.allCases.firstIndex(of: self) ?? 0 }
}

/// A stored token as the API lists it: its name, kind, scope, allowed tags and times, never its value or hash.
public struct TokenInfo: Codable, Sendable, Equatable {
    public var name: String
    public var kind: TokenKind
    /// The API key's scope (nil for delegate tokens).
    public var scope: TokenScope?
    /// The only tags a delegate with this token may register with (nil: any).
    public var allowedTags: [String]?
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// When it was revoked (nil: it is live).
    public var revokedAt: Date?

    /// Creates an entry.
    public init(name: String, kind: TokenKind, scope: TokenScope?, allowedTags: [String]?, createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil) {
        self.name = name
        self.kind = kind
        self.scope = scope
        self.allowedTags = allowedTags
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

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
