import DelegateProtocol

/// The payload of `ecs.rolling.rollback` and `ecs.service.scale.rollback` (with `RolloutWait` beside it).
///
/// `snapshot` is the one the forward step returned (the manager hands it
/// back); without it the delegate's own SQLite copy is used. `stepNeverRan`
/// says the forward step never started, so no snapshot is expected.
public struct ServiceRollbackPayload: StepPayload, Equatable {
    public var cluster: String
    public var serviceName: String
    public var snapshot: JSONValue?
    public var stepNeverRan: Bool?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, serviceName: String, snapshot: JSONValue? = nil, stepNeverRan: Bool? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.snapshot = snapshot
        self.stepNeverRan = stepNeverRan
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try PayloadCheck.nonEmpty(serviceName, "serviceName")
    }
}
