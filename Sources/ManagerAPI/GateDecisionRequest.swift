/// `POST /v1/executions/{id}/approve` and `/reject` body: why, in the decider's words.
public struct GateDecisionRequest: Codable, Sendable, Equatable {
    /// Kept with the decision and in the audit trail.
    public var comment: String?

    /// The longest comment, in bytes.
    public static let maxCommentBytes = 1000

    /// Creates a request.
    public init(comment: String?) { self.comment = comment }
}
