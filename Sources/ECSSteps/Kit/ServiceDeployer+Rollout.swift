import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Manifests
import StepContracts

/// Deploys a service from rendered manifests: snapshot, register, create or update, wait, scaling back on.
///
/// The body the rolling, canary and blue/green create steps share; they differ
/// in the service definition they pass, the snapshot kind they file it under
/// and the options below.
extension ServiceDeployer {
    /// How the service is brought to the new task definition.
    struct RolloutOptions {
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
        var scaling: Scaling?
    }

    /// Runs the rollout with its own snapshot (kind and step from `options`); returns the step's outputs.
    func deploy(_ manifests: LoadedServiceManifests, options: RolloutOptions) async throws -> ServiceRolloutOutputs {
        let prepared = try await prepare(serviceName: try manifests.serviceName(), options: options)
        return try await roll(manifests, prepared: prepared, options: options)
    }

    /// Reads the service and its scaling, and records them as the step's snapshot before anything changes.
    func prepare(serviceName: String, options: RolloutOptions) async throws -> Prepared {
        // Prepare rollback data, persisted before the first mutating call.
        log.log("Preparing rollback data for service \(serviceName) in cluster \(cluster)", unit: "Prepare Rollback Data")
        let current: JSONValue?
        let read: (snapshot: RollingSnapshot, scaling: Scaling?)
        do {
            current = try await currentService(serviceName)
            read = try await snapshot(service: serviceName, current: current)
        } catch let e as TaskError {
            throw e
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSFailure.taskError(error, context: "preparing rollback data failed", suffix: "; nothing was changed in AWS")
        }
        let stored = try run.recordSnapshot(kind: options.kind, stepId: options.stepId, cluster: cluster, service: serviceName, body: try JSONValue(encoding: read.snapshot))
        let kept = try stored.snapshot(as: RollingSnapshot.self, "rollback")
        if kept.firstDeployment {
            log.log("Service \(serviceName) does not exist yet: rollback will delete it (first deployment)", unit: "Prepare Rollback Data")
        } else {
            log.log("Recorded service \(serviceName): task definition \(kept.taskDefinition ?? "?"), desired count \(kept.desiredCount.map(String.init) ?? "?")", unit: "Prepare Rollback Data")
        }
        return Prepared(current: current, scaling: read.scaling)
    }

    /// Registers the task definition, creates or updates the service, waits for steady state and puts scaling back.
    func roll(_ manifests: LoadedServiceManifests, prepared: Prepared, options: RolloutOptions) async throws -> ServiceRolloutOutputs {
        let serviceName = try manifests.serviceName()
        // The service as it was, read once; nil once a replaced one is gone.
        var current = prepared.current.map(ECSService.init)
        let label = options.label

        let td = try await run.registerTaskDefinition(manifests.taskDefinition, unit: "Deploy")

        // Create or update the service.
        var sd = manifests.serviceDefinition
        if !options.tags.isEmpty {
            var tags = (sd["tags"]?.arrayValue ?? []).filter { t in !options.tags.keys.contains(t["key"]?.stringValue ?? "") }
            for (k, v) in options.tags.sorted(by: { $0.key < $1.key }) { tags.append(["key": .string(k), "value": .string(v)]) }
            sd["tags"] = .array(tags)
        }
        let requests = DeploymentRequests(
            taskDefinition: manifests.taskDefinition, service: sd, scalableTargets: manifests.scalableTargets, scalingPolicies: manifests.scalingPolicies,
            cluster: cluster, taskDefinitionArn: td.arn, keepRunningCount: options.keepRunningCount, forceNewDeployment: options.forceNewDeployment)
        if options.replaceExisting, current?.isActive == true {
            try await delete(service: serviceName, announce: "Deleting existing Service \(serviceName)..", note: "deleted the existing service \(serviceName)",
                             unit: "Deploy", timeout: options.steadyStateTimeout)
            current = nil
        }
        let verb: String
        let rollout: (answer: JSONValue?, deploymentId: String, steady: JSONValue)
        if let current, current.isActive {
            try await detachScaling(service: serviceName, known: prepared.scaling)
            let desired = options.keepRunningCount ? (current.desiredCount ?? 0) : (sd["desiredCount"]?.intValue ?? current.desiredCount ?? 0)
            log.log("Updating \(label) \(serviceName) with task definition \(td.arn) and desired count \(desired)", unit: "Deploy")
            rollout = try await rollOut(service: serviceName, knownEvents: current.eventIds, timeout: options.steadyStateTimeout) {
                let answer = try await clients.ecs.updateService(requests.updateService ?? [:])
                journal.record("updated service \(serviceName) to \(td.name)")
                if !options.tags.isEmpty, let arn = current.serviceArn {
                    try await clients.ecs.tagResource(arn: arn, tags: options.tags)
                }
                return answer
            }
            verb = "Updated"
        } else {
            if current?.status == "DRAINING" {
                try await waitInactive(serviceName, timeout: options.steadyStateTimeout)
            }
            log.log("Creating \(label) \(serviceName) with task definition \(td.arn) and desired count \(sd["desiredCount"]?.intValue ?? 1)", unit: "Deploy")
            rollout = try await rollOut(service: serviceName, knownEvents: current?.eventIds ?? [], timeout: options.steadyStateTimeout) {
                let answer = try await clients.ecs.createService(requests.createService ?? [:])
                journal.record("created service \(serviceName)")
                return answer
            }
            verb = "Created"
        }

        // Steady state reached: scaling back on.
        try await attachScaling(service: serviceName, targets: requests.registerScalableTargets, policies: requests.putScalingPolicies)
        let finalService = ECSService(rollout.steady)
        let serviceArn = finalService.serviceArn ?? rollout.answer.flatMap { ECSService($0).serviceArn } ?? ""
        log.log("\(verb) \(label) \(serviceName) with Arn \(serviceArn)", unit: "Deploy")

        let running = (try? await clients.ecs.listTasks(cluster: cluster, serviceName: serviceName, desiredStatus: "RUNNING")) ?? []
        return ServiceRolloutOutputs(
            cluster: cluster, serviceName: serviceName, serviceArn: serviceArn, taskDefinitionArn: td.arn,
            desiredCount: finalService.desiredCount ?? 0, deploymentId: rollout.deploymentId, runningTaskArns: running)
    }
}
