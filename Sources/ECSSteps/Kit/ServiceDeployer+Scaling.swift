import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation

/// Scaling manifests off before a change and back on after it.
extension ServiceDeployer {
    /// Deletes the service's scaling policies and deregisters its scalable targets, with the tutorial's lines.
    /// `known` passes the targets and policies the snapshot just read, to save two calls.
    func detachScaling(service name: String, known: Scaling? = nil) async throws {
        let resourceId = "service/\(cluster)/\(name)"
        log.log("Deleting Scaling Policies from service \(name)..", unit: "Deploy")
        let policies: [JSONValue]
        if let known { policies = known.policies } else { policies = try await clients.autoScaling.describeScalingPolicies(resourceId: resourceId) }
        if policies.isEmpty {
            log.log("Didn't find any Scaling Policies attached to service \(name)", unit: "Deploy")
        }
        for p in policies {
            guard let policy = p["PolicyName"]?.stringValue else { continue }
            try await clients.autoScaling.deleteScalingPolicy(
                policyName: policy, serviceNamespace: p["ServiceNamespace"]?.stringValue ?? "ecs", resourceId: resourceId,
                scalableDimension: p["ScalableDimension"]?.stringValue ?? "ecs:service:DesiredCount")
            journal.record("deleted scaling policy \(policy) of \(name)")
            log.log("Deleted Scaling Policy \(policy) from service \(name)", unit: "Deploy")
        }
        log.log("Deregistering Scalable Targets from service \(name)..", unit: "Deploy")
        let targets: [JSONValue]
        if let known { targets = known.targets } else { targets = try await clients.autoScaling.describeScalableTargets(resourceIds: [resourceId]) }
        if targets.isEmpty {
            log.log("Didn't find any Scalable Targets on service \(name)", unit: "Deploy")
        }
        for t in targets {
            try await clients.autoScaling.deregisterScalableTarget(
                serviceNamespace: t["ServiceNamespace"]?.stringValue ?? "ecs", resourceId: resourceId,
                scalableDimension: t["ScalableDimension"]?.stringValue ?? "ecs:service:DesiredCount")
            journal.record("deregistered scalable target of \(name)")
            log.log("Deregistered Scalable Target \(t["ScalableDimension"]?.stringValue ?? "") of service \(name)", unit: "Deploy")
        }
    }

    /// Registers scalable targets and puts scaling policies (after steady state).
    func attachScaling(service name: String, targets: [JSONValue], policies: [JSONValue]) async throws {
        for t in targets {
            log.log("Registering Scalable Target for service \(name) (min \(t["MinCapacity"]?.intValue.map(String.init) ?? "-"), max \(t["MaxCapacity"]?.intValue.map(String.init) ?? "-"))", unit: "Deploy")
            _ = try await clients.autoScaling.registerScalableTarget(t)
            journal.record("registered scalable target of \(name)")
        }
        for p in policies {
            log.log("Attaching Scaling Policy \(p["PolicyName"]?.stringValue ?? "?") to service \(name)", unit: "Deploy")
            _ = try await clients.autoScaling.putScalingPolicy(p)
            journal.record("put scaling policy \(p["PolicyName"]?.stringValue ?? "?") on \(name)")
        }
        if !targets.isEmpty || !policies.isEmpty {
            log.log("Attached scaling to service \(name)", unit: "Deploy")
        }
    }
}
