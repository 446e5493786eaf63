import DelegateProtocol

/// `ecs.bluegreen.rollback`'s payload (with `RolloutWait` beside it): restores the routes and services the create, swap and shifts changed.
public struct BlueGreenRollbackPayload: StepPayload, Equatable {
    public var cluster: String
    /// The base service name, or the create step's `newServiceName` (the `__1`/`__2` suffix is stripped by the step).
    public var serviceName: String?
    public var newServiceName: String?
    public var snapshot: JSONValue?
    public var stepNeverRan: Bool?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, serviceName: String? = nil, newServiceName: String? = nil, snapshot: JSONValue? = nil, stepNeverRan: Bool? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.newServiceName = newServiceName
        self.snapshot = snapshot
        self.stepNeverRan = stepNeverRan
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try PayloadCheck.nonEmpty(serviceName ?? newServiceName ?? "", "serviceName")
    }
}
