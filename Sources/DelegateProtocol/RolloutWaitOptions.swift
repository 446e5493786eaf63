/// The payload members of every step that waits on a service rollout, named and ranged once for the steps and for pipelines.
///
/// `steadyStateTimeoutSeconds` (1-86400, default 600) bounds the wait;
/// `failFast` (default true) fails the step as soon as tasks of the
/// deployment keep failing to start with one reason, instead of waiting out
/// the timeout.
public enum RolloutWaitOptions {
    /// The member that bounds the wait, in seconds.
    public static let timeoutMember = "steadyStateTimeoutSeconds"
    /// The member that turns failing fast off (`false`).
    public static let failFastMember = "failFast"
    /// The seconds `steadyStateTimeoutSeconds` may take.
    public static let timeoutRange = 1...86_400
    /// The wait when the payload names none.
    public static let defaultTimeoutSeconds = 600
    /// Both members, for pipeline options that pass them on.
    public static let members = [timeoutMember, failFastMember]
}
