/// How a step waits on a service rollout (`steadyStateTimeoutSeconds`, `failFast`): the payload piece every waiting step shares.
///
/// Encoded flat beside a step's own members (`JSONValue.object(merging:)`) and
/// decoded from the same object by the steps that wait. `steadyStateTimeoutSeconds`
/// (1-86400, default 600) bounds the wait; `failFast` (default true) fails the
/// step as soon as tasks of the deployment keep failing to start with one
/// reason, instead of waiting out the timeout.
public struct RolloutWait: StepPayload, Equatable {
    /// How long the step waits for steady state (or INACTIVE), in seconds.
    public var steadyStateTimeoutSeconds: Int?
    /// Whether tasks that keep failing to start fail the step at once.
    public var failFast: Bool?

    /// The member that bounds the wait, in seconds.
    public static let timeoutMember = "steadyStateTimeoutSeconds"
    /// The member that turns failing fast off (`false`).
    public static let failFastMember = "failFast"
    /// The seconds `steadyStateTimeoutSeconds` may take.
    public static let timeoutRange = 1...86_400
    /// The wait when the payload names none.
    public static let defaultTimeoutSeconds = 600

    /// The defaults: 600 s, failing fast.
    public init(steadyStateTimeoutSeconds: Int? = nil, failFast: Bool? = nil) {
        self.steadyStateTimeoutSeconds = steadyStateTimeoutSeconds
        self.failFast = failFast
    }

    /// The wait's length.
    public var timeout: Duration { .seconds(steadyStateTimeoutSeconds ?? Self.defaultTimeoutSeconds) }
    /// Whether failing fast is on.
    public var failsFast: Bool { failFast ?? true }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.range(steadyStateTimeoutSeconds, Self.timeoutRange, Self.timeoutMember)
    }
}
