import AWSServices
import DelegateProtocol
import DelegateRuntime
import Manifests
import StepContracts

/// A service deployment's manifests, fetched and rendered: what `ServiceDeployer.deploy` rolls out.
struct LoadedServiceManifests: Sendable {
    var taskDefinition: JSONValue
    var serviceDefinition: JSONValue
    var scalableTargets: [JSONValue] = []
    var scalingPolicies: [JSONValue] = []

    /// The service definition's `serviceName`; an `invalid_manifest` error before any change when it has none.
    func serviceName() throws -> String {
        guard let name = serviceDefinition["serviceName"]?.stringValue, !name.isEmpty else {
            throw TaskError(code: "invalid_manifest", message: "the service definition has no serviceName; nothing was changed in AWS")
        }
        return name
    }
}

/// A task definition as ECS registered it.
struct RegisteredTaskDefinition: Sendable {
    /// Its ARN.
    var arn: String
    /// `family:revision`.
    var name: String
    /// RegisterTaskDefinition's answer (`containerDefinitions` with their defaults filled in).
    var answer: JSONValue
}

extension StepRun {
    /// Fetches and renders a service deployment's manifests (the scaling ones only with `scaling`), every problem reported before any AWS change.
    func loadServiceManifests(_ m: ServiceManifests, variables: [String: JSONValue]?, artifact: ArtifactRequest?, scaling: Bool = true) async throws -> LoadedServiceManifests {
        let loader = try await manifests(variables: variables, artifact: artifact)
        let td = try await loader.load(m.taskDefinition, .taskDefinition, "EcsTaskDefinition")
        let sd = try await loader.load(m.serviceDefinition, .serviceDefinition, "EcsServiceDefinition")
        let targets = scaling ? try await loader.loadAll(m.scalableTargets, .scalableTarget, "EcsScalableTargetDefinition") : []
        let policies = scaling ? try await loader.loadAll(m.scalingPolicies, .scalingPolicy, "EcsScalingPolicyDefinition") : []
        try loader.finish()
        guard let td, let sd else { throw TaskError(code: "invalid_manifest", message: "the task and service definitions are required; nothing was changed in AWS") }
        return LoadedServiceManifests(taskDefinition: td, serviceDefinition: sd, scalableTargets: targets, scalingPolicies: policies)
    }

    /// Registers `td` with the tutorial's lines under `unit`, and journals it.
    func registerTaskDefinition(_ td: JSONValue, unit: String) async throws -> RegisteredTaskDefinition {
        let family = td["family"]?.stringValue ?? "?"
        log.log("Creating Task Definition with family \(family)", unit: unit)
        let registered = try await clients().ecs.registerTaskDefinition(td)
        let arn = registered["taskDefinitionArn"]?.stringValue ?? ""
        let name = "\(family):\(registered["revision"]?.intValue.map(String.init) ?? "?")"
        journal.record("registered task definition \(name)")
        log.log("Created Task Definition \(name) with Arn \(arn)..", unit: unit)
        return RegisteredTaskDefinition(arn: arn, name: name, answer: registered)
    }
}
