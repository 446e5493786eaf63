import DelegateProtocol

/// How a step waits on a service rollout (`steadyStateTimeoutSeconds`, `failFast`): the payload piece every waiting step shares.
///
/// Decoded by `StepHandler` from the same payload object as the step's own
/// members, for steps that declare `waitsOnRollout`; see `RolloutWaitOptions`.
package struct RolloutWait: StepPayload {
    var steadyStateTimeoutSeconds: Int?
    var failFast: Bool?

    /// The defaults: 600 s, failing fast.
    init(steadyStateTimeoutSeconds: Int? = nil, failFast: Bool? = nil) {
        self.steadyStateTimeoutSeconds = steadyStateTimeoutSeconds
        self.failFast = failFast
    }

    /// How long the step waits for steady state (or INACTIVE).
    var timeout: Duration { .seconds(steadyStateTimeoutSeconds ?? RolloutWaitOptions.defaultTimeoutSeconds) }
    /// Whether tasks that keep failing to start fail the step at once.
    var failsFast: Bool { failFast ?? true }

    package func validate() throws {
        try PayloadCheck.range(steadyStateTimeoutSeconds, RolloutWaitOptions.timeoutRange, RolloutWaitOptions.timeoutMember)
    }
}
