import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `ecs.canary.deploy`: the service definition's service as `<serviceName>Canary` with one task (or `desiredCount`).
///
/// An ACTIVE canary left from an earlier run is deleted and waited out first.
/// The snapshot (kind `canary`) is rolled back by `ecs.canary.delete`. Scaling
/// manifests are not applied to a canary. Outputs `canaryServiceName`,
/// `taskDefinitionArn` and the rolling deploy's outputs for the canary service.
struct CanaryDeployStep: ECSStep {
    static let type = TaskType.canaryDeploy
    static let noun = "canary deployment"
    static let waitsOnRollout = true

    typealias Payload = CanaryDeployPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let loader = try await run.manifests(variables: p.variables, artifact: p.artifact)
        let td = try await loader.load(p.manifests.taskDefinition, .taskDefinition, "EcsTaskDefinition")
        let sd = try await loader.load(p.manifests.serviceDefinition, .serviceDefinition, "EcsServiceDefinition")
        try loader.finish()
        guard let td, var sd, let name = sd["serviceName"]?.stringValue, !name.isEmpty else {
            throw TaskError(code: "invalid_manifest", message: "the service definition has no serviceName; nothing was changed in AWS")
        }
        let canary = CanaryName.of(name)
        sd["serviceName"] = .string(canary)
        sd["desiredCount"] = .number(Double(p.desiredCount ?? 1))

        var options = ServiceRollout.Options()
        options.kind = .canary
        options.stepId = p.stepId
        options.replaceExisting = true
        options.steadyStateTimeout = run.wait.timeout
        let outputs = try await ServiceRollout(run: run, cluster: p.cluster).deploy(taskDefinition: td, service: sd, options: options)
        run.log.log("Deployment Successful.", unit: "Deploy")
        return try JSONValue.outputs(outputs, CanaryDeployOutputs(canaryServiceName: canary))
    }
}

/// The canary's name for a service: `myapp` -> `myappCanary`.
enum CanaryName {
    /// The suffix the tutorial gives a canary service.
    static let suffix = "Canary"

    /// `name` with the canary suffix (a name that has it already is kept).
    static func of(_ name: String) -> String {
        name.hasSuffix(suffix) ? name : name + suffix
    }
}
