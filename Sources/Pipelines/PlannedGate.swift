import DelegateProtocol

/// A step that runs on the manager and holds the execution until a person decides (`approval`) or a time passes (`wait`).
///
/// A gate submits no task and changes nothing, so it has no rollback of its
/// own: a rejected or timed-out approval rolls back the steps before it.
public struct PlannedGate: Codable, Sendable, Equatable {
    /// What holds the execution.
    public enum Kind: String, Codable, Sendable {
        /// Until someone with a `run` or `admin` key approves or rejects, or the timeout passes.
        case approval
        /// For a fixed number of seconds.
        case wait
    }

    /// What an approval that nobody decided in time becomes.
    public enum TimeoutOutcome: String, Codable, Sendable, CaseIterable {
        case reject, approve
    }

    public var kind: Kind
    /// What an approver reads (approval only).
    public var message: String?
    /// How long the gate holds at most: the wait, or the approval's timeout.
    public var seconds: Int
    /// What an approval becomes when its time is up (nil: reject).
    public var onTimeout: TimeoutOutcome?

    /// The longest wait, in seconds (7 days).
    public static let waitRange = 1...604_800
    /// The longest an approval may stay open, in seconds (30 days); the default is one day.
    public static let approvalTimeoutRange = 1...2_592_000
    /// How long an approval stays open when the pipeline does not say.
    public static let defaultApprovalTimeout = 86_400
    /// The longest approval message, in bytes.
    public static let maxMessageBytes = 1000

    /// A gate that waits `seconds`.
    public static func wait(seconds: Int) -> PlannedGate { PlannedGate(kind: .wait, message: nil, seconds: seconds, onTimeout: nil) }

    /// An approval that stays open `timeoutSeconds`, then becomes `onTimeout`.
    public static func approval(message: String?, timeoutSeconds: Int = defaultApprovalTimeout, onTimeout: TimeoutOutcome? = nil) -> PlannedGate {
        PlannedGate(kind: .approval, message: message, seconds: timeoutSeconds, onTimeout: onTimeout)
    }

    /// Why a gate received from a client cannot run, or nil.
    public var problem: String? {
        let range = kind == .wait ? Self.waitRange : Self.approvalTimeoutRange
        if !range.contains(seconds) { return "\(kind == .wait ? "seconds" : "timeoutSeconds") must be from \(range.lowerBound) to \(range.upperBound)" }
        if kind == .wait, message != nil || onTimeout != nil { return "a wait takes only seconds" }
        if let message, let why = Identifiers.textProblem(message, maxBytes: Self.maxMessageBytes) { return "message: \(why)" }
        return nil
    }

    /// How `--dry-run` shows the gate: "holds up to 86400 s for an approval, then rejects".
    var outline: String {
        switch kind {
        case .wait: return "holds \(seconds) s"
        case .approval:
            return "holds up to \(seconds) s for an approval, then \(onTimeout == .approve ? "approves" : "rejects")\(message.map { ": \($0)" } ?? "")"
        }
    }
}
