/// `ecs.service.scale`'s payload (with `RolloutWait` beside it): the service and the task count it should run.
public struct ServiceScalePayload: StepPayload, Equatable {
    /// The most tasks a service may be scaled to.
    public static let maxDesiredCount = 100_000

    public var cluster: String
    public var serviceName: String
    public var desiredCount: Int
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, serviceName: String, desiredCount: Int, stepId: String? = nil) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.desiredCount = desiredCount
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try PayloadCheck.nonEmpty(serviceName, "serviceName")
        try PayloadCheck.range(desiredCount, 0...Self.maxDesiredCount, "desiredCount")
    }
}

/// What `ecs.service.scale` outputs.
public struct ServiceScaleOutputs: Codable, Sendable, Equatable {
    public var cluster: String
    public var serviceName: String
    public var desiredCount: Int
    public var previousDesiredCount: Int

    /// Creates the outputs.
    public init(cluster: String, serviceName: String, desiredCount: Int, previousDesiredCount: Int) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.desiredCount = desiredCount
        self.previousDesiredCount = previousDesiredCount
    }
}
