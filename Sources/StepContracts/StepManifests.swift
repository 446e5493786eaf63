import DelegateProtocol

/// The manifests of a step that deploys a service, each a manifest reference (inline, `path:` or `git:`; see docs/pipelines.md).
public struct ServiceManifests: Codable, Sendable, Equatable {
    public var taskDefinition: JSONValue
    public var serviceDefinition: JSONValue
    public var scalableTargets: [JSONValue]?
    public var scalingPolicies: [JSONValue]?

    /// Creates the manifests.
    public init(taskDefinition: JSONValue, serviceDefinition: JSONValue, scalableTargets: [JSONValue]? = nil, scalingPolicies: [JSONValue]? = nil) {
        self.taskDefinition = taskDefinition
        self.serviceDefinition = serviceDefinition
        self.scalableTargets = scalableTargets
        self.scalingPolicies = scalingPolicies
    }
}

/// The manifests of `ecs.runTask`: the task definition and the RunTask request.
public struct RunTaskManifests: Codable, Sendable, Equatable {
    public var taskDefinition: JSONValue
    public var runTaskRequest: JSONValue

    /// Creates the manifests.
    public init(taskDefinition: JSONValue, runTaskRequest: JSONValue) {
        self.taskDefinition = taskDefinition
        self.runTaskRequest = runTaskRequest
    }
}
