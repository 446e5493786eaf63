import DelegateProtocol

/// What a rolling (or canary) rollback restores: the service as it was, or that there was none, and its scaling.
///
/// Recorded by `ServiceDeployer.prepare` before the first change, under kind
/// `rolling` or `canary`; read by `ecs.rolling.rollback`. The JSON shape is the
/// one earlier versions wrote, so their snapshots still roll back.
struct RollingSnapshot: Codable, Sendable, Equatable {
    /// The members of a service kept (what UpdateService/CreateService can restore).
    static let serviceMembers = [
        "serviceName", "taskDefinition", "desiredCount", "launchType", "platformVersion", "capacityProviderStrategy", "deploymentConfiguration",
        "loadBalancers", "networkConfiguration", "healthCheckGracePeriodSeconds", "placementConstraints", "placementStrategy",
        "serviceRegistries", "enableExecuteCommand", "propagateTags", "enableECSManagedTags", "status",
    ]

    /// True when the service did not exist: the rollback deletes it.
    var firstDeployment: Bool
    var cluster: String
    var serviceName: String
    /// The service's `serviceMembers` as DescribeServices gave them (nil on a first deployment).
    var service: [String: JSONValue]?
    /// RegisterScalableTarget bodies of the targets it had.
    var scalableTargets: [JSONValue]?
    /// PutScalingPolicy bodies of the policies it had.
    var scalingPolicies: [JSONValue]?

    /// The task definition the service ran.
    var taskDefinition: String? { service?["taskDefinition"]?.stringValue }
    /// The desired count it had.
    var desiredCount: Int? { service?["desiredCount"]?.intValue }

    /// The snapshot of a service that does not exist yet.
    static func firstDeployment(cluster: String, serviceName: String) -> RollingSnapshot {
        RollingSnapshot(firstDeployment: true, cluster: cluster, serviceName: serviceName)
    }
}

/// What a scale rollback restores: the desired count before the change.
struct ScaleSnapshot: Codable, Sendable, Equatable {
    var cluster: String
    var serviceName: String
    var desiredCount: Int
    /// The task definition it ran then (for people reading the snapshot; the count is what is restored).
    var taskDefinition: String?
}

extension JSONValue {
    /// This snapshot body as `T`; an `invalid_snapshot` `TaskError` naming `what` when it is not one.
    func snapshot<T: Decodable>(as type: T.Type, _ what: String) throws -> T {
        do {
            return try decode(as: T.self)
        } catch {
            throw TaskError(code: "invalid_snapshot", message: "the \(what) snapshot cannot be read: \(error)")
        }
    }
}
