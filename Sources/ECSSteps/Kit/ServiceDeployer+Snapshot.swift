import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation

/// What a service looks like before a change, as the rollback snapshot keeps it.
extension ServiceDeployer {
    /// The scalable targets and policies a snapshot read, as DescribeScalableTargets/DescribeScalingPolicies gave them.
    typealias Scaling = (targets: [JSONValue], policies: [JSONValue])

    /// Reads what `current` (the service as described, nil when ECS does not know it) looks like with its scaling; "first deployment" when it is not ACTIVE.
    func snapshot(service name: String, current: JSONValue?) async throws -> (snapshot: RollingSnapshot, scaling: Scaling?) {
        guard let current, current["status"]?.stringValue == "ACTIVE" else {
            return (.firstDeployment(cluster: cluster, serviceName: name), nil)
        }
        var svc: [String: JSONValue] = [:]
        for k in RollingSnapshot.serviceMembers { if let v = current[k] { svc[k] = v } }
        let resourceId = "service/\(cluster)/\(name)"
        let targets = try await patiently { try await clients.autoScaling.describeScalableTargets(resourceIds: [resourceId]) }
        let policies = try await patiently { try await clients.autoScaling.describeScalingPolicies(resourceId: resourceId) }
        let snapshot = RollingSnapshot(
            firstDeployment: false, cluster: cluster, serviceName: name, service: svc,
            scalableTargets: targets.map(Self.registerable), scalingPolicies: policies.map(Self.puttable))
        return (snapshot, (targets, policies))
    }

    /// A DescribeScalableTargets entry as a RegisterScalableTarget body.
    static func registerable(_ t: JSONValue) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for k in ["ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "RoleARN", "SuspendedState"] { if let v = t[k] { o[k] = v } }
        return .object(o)
    }

    /// A DescribeScalingPolicies entry as a PutScalingPolicy body.
    static func puttable(_ p: JSONValue) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for k in ["PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension", "PolicyType", "StepScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration", "PredictiveScalingPolicyConfiguration"] {
            if let v = p[k] { o[k] = v }
        }
        return .object(o)
    }
}
