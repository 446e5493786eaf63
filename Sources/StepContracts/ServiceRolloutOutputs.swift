/// What a step that rolls out a service outputs (rolling, canary, blue/green create); later steps and rollbacks get them merged into their payloads.
public struct ServiceRolloutOutputs: Codable, Sendable, Equatable {
    public var cluster: String
    public var serviceName: String
    public var serviceArn: String
    public var taskDefinitionArn: String
    public var desiredCount: Int
    public var deploymentId: String
    public var runningTaskArns: [String]

    /// Creates the outputs.
    public init(cluster: String, serviceName: String, serviceArn: String, taskDefinitionArn: String, desiredCount: Int, deploymentId: String, runningTaskArns: [String]) {
        self.cluster = cluster
        self.serviceName = serviceName
        self.serviceArn = serviceArn
        self.taskDefinitionArn = taskDefinitionArn
        self.desiredCount = desiredCount
        self.deploymentId = deploymentId
        self.runningTaskArns = runningTaskArns
    }
}
