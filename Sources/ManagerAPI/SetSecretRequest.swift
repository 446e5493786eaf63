/// `PUT /v1/secrets/{name}` body: the secret's value, sealed by the manager and never answered back.
public struct SetSecretRequest: Codable, Sendable, Equatable {
    public var value: String

    /// Creates a request.
    public init(value: String) { self.value = value }
}
