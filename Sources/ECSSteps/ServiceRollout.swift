import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Manifests
import StepContracts

/// Deploys a service from rendered manifests: snapshot, register, create or update, wait, scaling back on.
///
/// The body the rolling and canary steps share; they differ only in the
/// service definition they pass and the snapshot kind they file it under.
struct ServiceRollout {
    /// How the service is brought to the new task definition.
    struct Options {
        var keepRunningCount = false
        var forceNewDeployment = false
        var steadyStateTimeout: Duration = .seconds(600)
        var kind: SnapshotKind = .rolling
        var stepId: String?
        /// An ACTIVE service of the same name is deleted and waited out, then created anew (a canary).
        var replaceExisting = false
        /// What the service is called in the log: "Service", or "Stage Service" for blue/green.
        var label = "Service"
        /// Tags the service gets (on create, or by TagResource after an update).
        var tags: [String: String] = [:]
    }

    /// The service as it was before the step, read before anything changed.
    struct Prepared {
        var current: JSONValue?
        /// Scalable targets and policies the snapshot read, to save reading them again.
        var scaling: (targets: [JSONValue], policies: [JSONValue])?
    }

    let run: StepRun
    let cluster: String

    /// Runs the rollout with its own snapshot (kind and step from `options`); returns the step's outputs.
    func deploy(taskDefinition td: JSONValue, service sd: JSONValue, scalableTargets targets: [JSONValue] = [], scalingPolicies policies: [JSONValue] = [], options: Options) async throws -> ServiceRolloutOutputs {
        guard let serviceName = sd["serviceName"]?.stringValue, !serviceName.isEmpty else {
            throw TaskError(code: "invalid_manifest", message: "the service definition has no serviceName; nothing was changed in AWS")
        }
        let prepared = try await prepare(serviceName: serviceName, options: options)
        return try await roll(taskDefinition: td, service: sd, scalableTargets: targets, scalingPolicies: policies, prepared: prepared, options: options)
    }

    /// Reads the service and its scaling, and records them as the step's snapshot before anything changes.
    func prepare(serviceName: String, options: Options) async throws -> Prepared {
        let log = run.log
        let deployer = try run.deployer(cluster: cluster)

        // Prepare rollback data, persisted before the first mutating call.
        log.log("Preparing rollback data for service \(serviceName) in cluster \(cluster)", unit: "Prepare Rollback Data")
        let current: JSONValue?
        let snapshot: JSONValue
        do {
            current = try await deployer.currentService(serviceName)
            snapshot = try await deployer.snapshot(service: serviceName, current: current)
        } catch let e as TaskError {
            throw e
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw TaskError(code: "aws", message: "preparing rollback data failed: \(describeAWS(error)); nothing was changed in AWS")
        }
        var persisted = snapshot
        persisted["current"] = nil
        let stored = try run.recordSnapshot(kind: options.kind, stepId: options.stepId, cluster: cluster, service: serviceName, body: persisted)
        if stored["firstDeployment"]?.boolValue == true {
            log.log("Service \(serviceName) does not exist yet: rollback will delete it (first deployment)", unit: "Prepare Rollback Data")
        } else {
            log.log("Recorded service \(serviceName): task definition \(stored["service"]?["taskDefinition"]?.stringValue ?? "?"), desired count \(stored["service"]?["desiredCount"]?.intValue.map(String.init) ?? "?")", unit: "Prepare Rollback Data")
        }
        let scaling = snapshot["current"].map { c in ((c["scalableTargets"]?.arrayValue ?? []), (c["scalingPolicies"]?.arrayValue ?? [])) }
        return Prepared(current: current, scaling: scaling)
    }

    /// Registers the task definition, creates or updates the service, waits for steady state and puts scaling back.
    func roll(taskDefinition td: JSONValue, service sd: JSONValue, scalableTargets targets: [JSONValue] = [], scalingPolicies policies: [JSONValue] = [], prepared: Prepared, options: Options) async throws -> ServiceRolloutOutputs {
        guard let serviceName = sd["serviceName"]?.stringValue, !serviceName.isEmpty else {
            throw TaskError(code: "invalid_manifest", message: "the service definition has no serviceName; nothing was changed in AWS")
        }
        let log = run.log
        let clients = try run.clients()
        let deployer = try run.deployer(cluster: cluster)
        // The service as it was, read once; nil once a replaced one is gone.
        var current = prepared.current.map(ECSService.init)
        let label = options.label

        // Register the task definition.
        let family = td["family"]?.stringValue ?? "?"
        log.log("Creating Task Definition with family \(family)", unit: "Deploy")
        let registered = try await clients.ecs.registerTaskDefinition(td)
        let tdArn = registered["taskDefinitionArn"]?.stringValue ?? ""
        let revision = registered["revision"]?.intValue.map(String.init) ?? "?"
        run.journal.record("registered task definition \(family):\(revision)")
        log.log("Created Task Definition \(family):\(revision) with Arn \(tdArn)..", unit: "Deploy")

        // Create or update the service.
        var sd = sd
        if !options.tags.isEmpty {
            var tags = (sd["tags"]?.arrayValue ?? []).filter { t in !options.tags.keys.contains(t["key"]?.stringValue ?? "") }
            for (k, v) in options.tags.sorted(by: { $0.key < $1.key }) { tags.append(["key": .string(k), "value": .string(v)]) }
            sd["tags"] = .array(tags)
        }
        let requests = DeploymentRequests(
            taskDefinition: td, service: sd, scalableTargets: targets, scalingPolicies: policies, cluster: cluster,
            taskDefinitionArn: tdArn, keepRunningCount: options.keepRunningCount, forceNewDeployment: options.forceNewDeployment)
        let started = Date().addingTimeInterval(-1)
        let knownEvents = current?.eventIds ?? []
        let deployed: JSONValue?
        let verb: String
        if options.replaceExisting, current?.isActive == true {
            try await deployer.detachScaling(service: serviceName)
            log.log("Deleting existing Service \(serviceName)..", unit: "Deploy")
            _ = try await clients.ecs.deleteService(cluster: cluster, service: serviceName, force: true)
            run.journal.record("deleted the existing service \(serviceName)")
            try await deployer.waitInactive(serviceName, timeout: options.steadyStateTimeout)
            current = nil
        }
        if let current, current.isActive {
            try await deployer.detachScaling(service: serviceName, known: prepared.scaling)
            let desired = options.keepRunningCount ? (current.desiredCount ?? 0) : (sd["desiredCount"]?.intValue ?? current.desiredCount ?? 0)
            log.log("Updating \(label) \(serviceName) with task definition \(tdArn) and desired count \(desired)", unit: "Deploy")
            deployed = try await clients.ecs.updateService(requests.updateService ?? [:])
            run.journal.record("updated service \(serviceName) to \(family):\(revision)")
            if !options.tags.isEmpty, let arn = current.serviceArn {
                try await clients.ecs.tagResource(arn: arn, tags: options.tags)
            }
            verb = "Updated"
        } else {
            if current?.status == "DRAINING" {
                try await deployer.waitInactive(serviceName, timeout: options.steadyStateTimeout)
            }
            log.log("Creating \(label) \(serviceName) with task definition \(tdArn) and desired count \(sd["desiredCount"]?.intValue ?? 1)", unit: "Deploy")
            deployed = try await clients.ecs.createService(requests.createService ?? [:])
            run.journal.record("created service \(serviceName)")
            verb = "Created"
        }
        guard let deploymentId = primaryDeploymentId(deployed) else {
            throw TaskError(code: "ecs.unexpected", message: "ECS did not report the new deployment of \(serviceName)")
        }
        run.logger.info("waiting for deployment", metadata: ["service": "\(serviceName)", "deployment": "\(deploymentId)"])

        // Steady state, then scaling back on.
        let final = try await deployer.waitSteady(service: serviceName, deploymentId: deploymentId, since: started, knownEvents: knownEvents, timeout: options.steadyStateTimeout, initial: deployed)
        try await deployer.attachScaling(service: serviceName, targets: requests.registerScalableTargets, policies: requests.putScalingPolicies)
        let finalService = ECSService(final)
        let serviceArn = finalService.serviceArn ?? deployed.flatMap { ECSService($0).serviceArn } ?? ""
        log.log("\(verb) \(label) \(serviceName) with Arn \(serviceArn)", unit: "Deploy")

        let running = (try? await clients.ecs.listTasks(cluster: cluster, serviceName: serviceName, desiredStatus: "RUNNING")) ?? []
        return ServiceRolloutOutputs(
            cluster: cluster, serviceName: serviceName, serviceArn: serviceArn, taskDefinitionArn: tdArn,
            desiredCount: finalService.desiredCount ?? 0, deploymentId: deploymentId, runningTaskArns: running)
    }
}
