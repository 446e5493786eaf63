/// `verify.targetHealth`'s payload: every target of the service's target groups (or of `targetGroupArn`) healthy for `stableSeconds`.
///
/// The payload also receives the outputs of the steps before it, merged in, so
/// `serviceName` from a deploy step is usually there; `targetGroupArn` names
/// one target group instead of the service's (`loadBalancers`, all of them).
public struct TargetHealthVerifyPayload: StepPayload, Equatable {
    /// The service's cluster.
    public var cluster: String
    /// The service whose target groups are watched (when `targetGroupArn` is absent).
    public var serviceName: String?
    /// One target group to watch instead of the service's.
    public var targetGroupArn: String?
    /// How long every target must stay healthy, without a break (0-3600 s, default 30).
    public var stableSeconds: Int?
    /// When the step gives up (1-86400 s, default 600).
    public var timeoutSeconds: Int?
    /// The step's id in its pipeline.
    public var stepId: String?

    /// The stable time when `stableSeconds` is absent.
    public static let defaultStableSeconds = 30
    /// The stable times `stableSeconds` may ask for.
    public static let stableRange = 0...3600
    /// The limit when `timeoutSeconds` is absent.
    public static let defaultTimeoutSeconds = 600
    /// The limits `timeoutSeconds` may ask for.
    public static let timeoutRange = 1...86_400

    /// Creates a payload.
    public init(cluster: String, serviceName: String? = nil, targetGroupArn: String? = nil, stableSeconds: Int? = nil, timeoutSeconds: Int? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.targetGroupArn = targetGroupArn
        self.stableSeconds = stableSeconds
        self.timeoutSeconds = timeoutSeconds
        self.stepId = stepId
    }

    /// Throws the `PayloadProblem` naming the first member that is missing, malformed or out of range.
    public func validate() throws(PayloadProblem) {
        try PayloadCheck.text(cluster, maxBytes: 2048, "cluster")
        if let serviceName { try PayloadCheck.text(serviceName, maxBytes: 255, "serviceName") }
        if let targetGroupArn { try PayloadCheck.text(targetGroupArn, maxBytes: 2048, "targetGroupArn") }
        if serviceName == nil && targetGroupArn == nil {
            throw PayloadProblem("payload member 'serviceName' or 'targetGroupArn' is required")
        }
        try PayloadCheck.range(stableSeconds, Self.stableRange, "stableSeconds")
        try PayloadCheck.range(timeoutSeconds, Self.timeoutRange, "timeoutSeconds")
        if stable > timeout {
            throw .member("stableSeconds", "(\(stable)) must not be longer than 'timeoutSeconds' (\(timeout)): the targets could never pass")
        }
    }

    /// The stable time in seconds.
    public var stable: Int { min(max(stableSeconds ?? Self.defaultStableSeconds, Self.stableRange.lowerBound), Self.stableRange.upperBound) }
    /// The limit in seconds.
    public var timeout: Int { min(max(timeoutSeconds ?? Self.defaultTimeoutSeconds, Self.timeoutRange.lowerBound), Self.timeoutRange.upperBound) }
}
