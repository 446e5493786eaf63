import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Logging
import Manifests
import StepContracts

/// `ecs.rolling.deploy`: fetch and render manifests, snapshot, register, create or update, wait, scale.
///
/// Payload: `cluster`, `manifests` {`taskDefinition`, `serviceDefinition`, `scalableTargets`[], `scalingPolicies`[]}
/// (each a manifest reference, see `ManifestRef`), `variables` (for `<+...>`), `sameAsAlreadyRunningInstances`,
/// `forceNewDeployment`, `steadyStateTimeoutSeconds` (default 600) and `failFast` (default true; see `RolloutWait`), `stepId` (keys the snapshot; default `rolling/CLUSTER/SERVICE`).
struct RollingDeployStep: ECSStep {
    static let type = TaskType.rollingDeploy
    static let noun = "deployment"
    static let waitsOnRollout = true

    typealias Payload = RollingDeployPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        // Every problem in the manifests is reported before any AWS call changes anything.
        let loader = try await run.manifests(variables: p.variables, artifact: p.artifact)
        let td = try await loader.load(p.manifests.taskDefinition, .taskDefinition, "EcsTaskDefinition")
        let sd = try await loader.load(p.manifests.serviceDefinition, .serviceDefinition, "EcsServiceDefinition")
        let targets = try await loader.loadAll(p.manifests.scalableTargets, .scalableTarget, "EcsScalableTargetDefinition")
        let policies = try await loader.loadAll(p.manifests.scalingPolicies, .scalingPolicy, "EcsScalingPolicyDefinition")
        try loader.finish()
        guard let td, let sd else { throw TaskError(code: "invalid_manifest", message: "the task and service definitions are required; nothing was changed in AWS") }

        var options = ServiceRollout.Options()
        options.keepRunningCount = p.sameAsAlreadyRunningInstances == true
        options.forceNewDeployment = p.forceNewDeployment == true
        options.steadyStateTimeout = run.wait.timeout
        options.stepId = p.stepId
        let outputs = try await ServiceRollout(run: run, cluster: p.cluster).deploy(taskDefinition: td, service: sd, scalableTargets: targets, scalingPolicies: policies, options: options)
        run.log.log("Deployment Successful.", unit: "Deploy")
        return try JSONValue.outputs(outputs)
    }
}
