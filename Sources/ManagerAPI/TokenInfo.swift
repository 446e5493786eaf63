import Foundation

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
