import DelegateProtocol

/// `ecs.rolling.deploy`'s payload (with `RolloutWait` beside it).
///
/// `manifests` are references (see `ServiceManifests`), `variables` fill
/// `<+...>`, `artifact` resolves `<+artifact.image>`, `stepId` keys the snapshot
/// (default `rolling/CLUSTER/SERVICE`).
public struct RollingDeployPayload: StepPayload, Equatable {
    public var cluster: String
    public var manifests: ServiceManifests
    public var variables: [String: JSONValue]?
    public var artifact: ArtifactRequest?
    /// Keep the running count of the service instead of the definition's `desiredCount`.
    public var sameAsAlreadyRunningInstances: Bool?
    public var forceNewDeployment: Bool?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, manifests: ServiceManifests, variables: [String: JSONValue]? = nil, artifact: ArtifactRequest? = nil,
                sameAsAlreadyRunningInstances: Bool? = nil, forceNewDeployment: Bool? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.manifests = manifests
        self.variables = variables
        self.artifact = artifact
        self.sameAsAlreadyRunningInstances = sameAsAlreadyRunningInstances
        self.forceNewDeployment = forceNewDeployment
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try artifact?.validate()
    }
}
