import Foundation

/// A stored secret as the API lists it: its name and times, never its value.
public struct SecretInfo: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Creates an entry.
    public init(name: String, createdAt: Date, updatedAt: Date) {
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
