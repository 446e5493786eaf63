import Foundation

/// A gate as the execution holds it: opened when the step before it ended, closed by a decision, by its time, or by a cancel.
public struct GateState: Codable, Sendable, Equatable {
    public var kind: PlannedGate.Kind
    /// What the approver reads (approval only).
    public var message: String?
    public var openedAt: Date
    /// When a wait ends, or an approval nobody decided becomes `onTimeout`: stored, so a restarted manager keeps it.
    public var deadline: Date
    /// What an undecided approval becomes at the deadline.
    public var onTimeout: PlannedGate.TimeoutOutcome?
    /// How an approval was decided (nil while open, and for a wait).
    public var decision: GateDecision?

    /// Creates an open gate.
    public init(kind: PlannedGate.Kind, message: String?, openedAt: Date, deadline: Date, onTimeout: PlannedGate.TimeoutOutcome?, decision: GateDecision? = nil) {
        self.kind = kind
        self.message = message
        self.openedAt = openedAt
        self.deadline = deadline
        self.onTimeout = onTimeout
        self.decision = decision
    }
}

/// Who decided an approval, when, which way and why.
public struct GateDecision: Codable, Sendable, Equatable {
    public var approved: Bool
    /// The token's name, or `timeout` when the deadline decided.
    public var by: String
    public var at: Date
    public var comment: String?

    /// The name a decision made by the deadline carries.
    public static let timeoutDecider = "timeout"

    /// Creates a decision.
    public init(approved: Bool, by: String, at: Date, comment: String?) {
        self.approved = approved
        self.by = by
        self.at = at
        self.comment = comment
    }

    /// The decision in a sentence: "approved by ci-key at 2026-12-07T16:00:00Z: looks good".
    public var summary: String {
        let when = ISO8601DateFormatter().string(from: at)
        if by == Self.timeoutDecider { return "\(approved ? "approved" : "rejected") when its time ran out at \(when)" }
        return "\(approved ? "approved" : "rejected") by \(by) at \(when)\(comment.map { ": \($0)" } ?? "")"
    }
}
