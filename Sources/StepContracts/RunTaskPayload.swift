import DelegateProtocol

/// `ecs.runTask`'s payload: registers the task definition, runs the task, and waits for RUNNING (or completion).
public struct RunTaskPayload: StepPayload, Equatable {
    public var cluster: String
    public var manifests: RunTaskManifests
    public var variables: [String: JSONValue]?
    public var artifact: ArtifactRequest?
    /// Do not wait for the tasks at all.
    public var skipSteadyStateCheck: Bool?
    /// Wait for the tasks to stop (and fail on a non-zero exit) instead of for RUNNING.
    public var waitForCompletion: Bool?
    /// How long to wait (1-86400 s, default 600).
    public var timeoutSeconds: Int?
    public var stepId: String?

    /// Creates a payload.
    public init(cluster: String, manifests: RunTaskManifests, variables: [String: JSONValue]? = nil, artifact: ArtifactRequest? = nil,
                skipSteadyStateCheck: Bool? = nil, waitForCompletion: Bool? = nil, timeoutSeconds: Int? = nil, stepId: String? = nil) {
        self.cluster = cluster
        self.manifests = manifests
        self.variables = variables
        self.artifact = artifact
        self.skipSteadyStateCheck = skipSteadyStateCheck
        self.waitForCompletion = waitForCompletion
        self.timeoutSeconds = timeoutSeconds
        self.stepId = stepId
    }

    public func validate() throws(PayloadProblem) {
        try PayloadCheck.nonEmpty(cluster, "cluster")
        try artifact?.validate()
        try PayloadCheck.range(timeoutSeconds, 1...86_400, "timeoutSeconds")
    }
}

/// What `ecs.runTask` outputs.
public struct RunTaskOutputs: Codable, Sendable, Equatable {
    public var cluster: String
    public var taskArns: [String]
    public var taskDefinitionArn: String

    /// Creates the outputs.
    public init(cluster: String, taskArns: [String], taskDefinitionArn: String) {
        self.cluster = cluster
        self.taskArns = taskArns
        self.taskDefinitionArn = taskDefinitionArn
    }
}
