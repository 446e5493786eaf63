/// `ecs.canary.delete`'s payload: the canary by `canaryServiceName` (the canary deploy's output) or `serviceName`.
public struct CanaryDeletePayload: StepPayload, Equatable {
    public var cluster: String
    public var serviceName: String?
    public var canaryServiceName: String?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, serviceName: String? = nil, canaryServiceName: String? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.canaryServiceName = canaryServiceName
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        if (canaryServiceName ?? serviceName ?? "").isEmpty {
            throw PayloadProblem("payload member 'canaryServiceName' or 'serviceName' is required")
        }
    }
}

/// What `ecs.canary.delete` outputs.
public struct CanaryDeleteOutputs: Codable, Sendable, Equatable {
    public var canaryServiceName: String
    /// False when there was no ACTIVE canary to delete.
    public var deleted: Bool

    /// Creates the outputs.
    public init(canaryServiceName: String, deleted: Bool) {
        self.canaryServiceName = canaryServiceName
        self.deleted = deleted
    }
}
