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
        let manifests = try await run.loadServiceManifests(p.manifests, variables: p.variables, artifact: p.artifact)
        var options = ServiceDeployer.RolloutOptions()
        options.keepRunningCount = p.sameAsAlreadyRunningInstances == true
        options.forceNewDeployment = p.forceNewDeployment == true
        options.steadyStateTimeout = run.wait.timeout
        options.stepId = p.stepId
        let outputs = try await run.deployer(cluster: p.cluster).deploy(manifests, options: options)
        run.log.log("Deployment Successful.", unit: "Deploy")
        return try JSONValue.outputs(outputs)
    }
}
