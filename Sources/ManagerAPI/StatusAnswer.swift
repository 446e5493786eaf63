/// The answer of a call that only reports what it did: `{"status": "deleted"}`, `"ok"`, `"cancel requested"`.
public struct StatusAnswer: Codable, Sendable, Equatable {
    public var status: String

    /// Creates an answer.
    public init(status: String) { self.status = status }
}
