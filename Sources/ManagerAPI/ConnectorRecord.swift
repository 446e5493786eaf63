import Foundation

/// A stored connector with when it was created and last changed.
public struct ConnectorRecord: Codable, Sendable, Equatable {
    public var connector: Connector
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates a record.
    public init(connector: Connector, createdAt: Date, updatedAt: Date) {
        self.connector = connector
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The members added to the flat form.
    private enum Keys: String, CodingKey { case createdAt, updatedAt }

    /// Decodes the flat form: the connector's members plus `createdAt` and `updatedAt`.
    public init(from decoder: any Decoder) throws {
        connector = try Connector(from: decoder)
        let c = try decoder.container(keyedBy: Keys.self)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
    }

    /// Encodes the flat form.
    public func encode(to encoder: any Encoder) throws {
        try connector.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
