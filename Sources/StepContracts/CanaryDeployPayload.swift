import DelegateProtocol

/// `ecs.canary.deploy`'s payload (with `RolloutWait` beside it): the service definition's service as `<serviceName>Canary` with `desiredCount` tasks (default 1).
public struct CanaryDeployPayload: StepPayload, Equatable {
    public var cluster: String
    public var manifests: ServiceManifests
    public var variables: [String: JSONValue]?
    public var artifact: ArtifactRequest?
    /// The canary's task count (1-1000, default 1).
    public var desiredCount: Int?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, manifests: ServiceManifests, variables: [String: JSONValue]? = nil, artifact: ArtifactRequest? = nil,
                desiredCount: Int? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.manifests = manifests
        self.variables = variables
        self.artifact = artifact
        self.desiredCount = desiredCount
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try artifact?.validate()
        try PayloadCheck.range(desiredCount, 1...1000, "desiredCount")
    }
}

/// What `ecs.canary.deploy` outputs beside the rollout's (`ServiceRolloutOutputs`): the canary's name, which `ecs.canary.delete` reads.
public struct CanaryDeployOutputs: Codable, Sendable, Equatable {
    public var canaryServiceName: String

    /// Creates the outputs.
    public init(canaryServiceName: String) { self.canaryServiceName = canaryServiceName }
}
