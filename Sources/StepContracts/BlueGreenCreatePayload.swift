import DelegateProtocol

/// `ecs.bluegreen.create`'s payload (with `RolloutWait` beside it): the manifests and the load balancer's prod and stage routes.
public struct BlueGreenCreatePayload: StepPayload, Equatable {
    public var cluster: String
    public var manifests: ServiceManifests
    public var variables: [String: JSONValue]?
    public var artifact: ArtifactRequest?
    /// The load balancer's name or ARN.
    public var loadBalancer: String
    /// The prod listener (port, or ARN), and its rule (default: the default rule).
    public var prodListener: String
    public var prodListenerRule: String?
    /// The stage listener and its rule.
    public var stageListener: String
    public var stageListenerRule: String?
    public var sameAsAlreadyRunningInstances: Bool?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, manifests: ServiceManifests, variables: [String: JSONValue]? = nil, artifact: ArtifactRequest? = nil,
                loadBalancer: String, prodListener: String, prodListenerRule: String? = nil, stageListener: String, stageListenerRule: String? = nil,
                sameAsAlreadyRunningInstances: Bool? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.manifests = manifests
        self.variables = variables
        self.artifact = artifact
        self.loadBalancer = loadBalancer
        self.prodListener = prodListener
        self.prodListenerRule = prodListenerRule
        self.stageListener = stageListener
        self.stageListenerRule = stageListenerRule
        self.sameAsAlreadyRunningInstances = sameAsAlreadyRunningInstances
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try artifact?.validate()
        try PayloadCheck.nonEmpty(loadBalancer, "loadBalancer")
        try PayloadCheck.nonEmpty(prodListener, "prodListener")
        try PayloadCheck.nonEmpty(stageListener, "stageListener")
    }
}
