import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `ecs.service.scale`: sets a service's desired count (nothing else) and waits for steady state.
///
/// Harness's "Scale ECS Services" step. The snapshot (kind `scale`) keeps the
/// count before the change; `ecs.service.scale.rollback` restores it.
struct ServiceScaleStep: ECSStep {
    static let type = TaskType.serviceScale
    static let noun = "scaling"
    static let waitsOnRollout = true

    typealias Payload = ServiceScalePayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let scaler = try ServiceScaler(run: run, cluster: p.cluster, timeout: run.wait.timeout)
        run.log.log("Preparing rollback data for service \(p.serviceName) in cluster \(p.cluster)", unit: "Prepare Rollback Data")
        let current = try await scaler.activeService(p.serviceName)
        let before = current.desiredCount ?? 0
        try run.recordSnapshot(kind: .scale, stepId: p.stepId, cluster: p.cluster, service: p.serviceName, body: [
            "cluster": .string(p.cluster), "serviceName": .string(p.serviceName), "desiredCount": .number(Double(before)),
            "taskDefinition": current.taskDefinition.map { .string($0) } ?? .null,
        ])
        run.log.log("Recorded service \(p.serviceName): desired count \(before)", unit: "Prepare Rollback Data")
        try await scaler.scale(current, to: p.desiredCount, unit: "Scale")
        run.log.log("Scaling Successful.", unit: "Scale")
        return try JSONValue.outputs(ServiceScaleOutputs(cluster: p.cluster, serviceName: p.serviceName, desiredCount: p.desiredCount, previousDesiredCount: before))
    }
}

/// `ecs.service.scale.rollback`: puts a scaled service back to the desired count its snapshot recorded. Idempotent.
struct ServiceScaleRollbackStep: ECSStep {
    static let type = TaskType.serviceScaleRollback
    static let noun = "rollback"
    static let waitsOnRollout = true

    typealias Payload = ServiceRollbackPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        guard let snapshot = try run.rollbackSnapshot(kind: .scale, stepId: p.stepId, cluster: p.cluster, service: p.serviceName, sent: p.snapshot, stepNeverRan: p.stepNeverRan == true, unit: "Rollback") else {
            return try JSONValue.outputs(RollbackOutputs(rolledBack: false, serviceName: p.serviceName))
        }
        guard let count = snapshot["desiredCount"]?.intValue, (0...ServiceScalePayload.maxDesiredCount).contains(count) else {
            throw TaskError(code: "invalid_snapshot", message: "the scaling snapshot has no desiredCount")
        }
        let scaler = try ServiceScaler(run: run, cluster: p.cluster, timeout: run.wait.timeout)
        run.beginChanges()
        let current = try await scaler.activeService(p.serviceName)
        try await scaler.scale(current, to: count, unit: "Rollback")
        run.log.log("Rollback Successful.", unit: "Rollback")
        return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: p.serviceName, desiredCount: count))
    }
}

/// Changes only a service's desired count and waits for it: shared by scaling, its rollback and blue/green downsizing.
struct ServiceScaler {

    let run: StepRun
    let cluster: String
    let timeout: Duration
    let deployer: ServiceDeployer

    init(run: StepRun, cluster: String, timeout: Duration) throws {
        self.run = run
        self.cluster = cluster
        self.timeout = timeout
        deployer = try run.deployer(cluster: cluster)
    }

    /// The service, which must be ACTIVE.
    func activeService(_ name: String) async throws -> ECSService {
        guard let current = try await deployer.service(name), current.isActive else {
            throw TaskError(code: "ecs.service_missing", message: "service \(name) is not ACTIVE in cluster \(cluster)")
        }
        return current
    }

    /// UpdateService with the count alone, then steady state; a service already at the count and steady is left alone.
    func scale(_ current: ECSService, to count: Int, unit: String) async throws {
        let name = current.serviceName ?? "?"
        let before = current.desiredCount ?? 0
        let steady = current.deployments.count == 1 && current.runningCount == before
        if before == count && steady {
            run.log.log("Service \(name) already has desired count \(count) and is steady", unit: unit)
            return
        }
        run.log.log("Updating Service \(name) desired count from \(before) to \(count)", unit: unit)
        let knownEvents = current.eventIds
        let started = Date().addingTimeInterval(-1)
        let answer = try await run.clients().ecs.updateService(["cluster": .string(cluster), "service": .string(name), "desiredCount": .number(Double(count))])
        run.journal.record("set the desired count of \(name) to \(count)")
        guard let deploymentId = primaryDeploymentId(answer) else {
            throw TaskError(code: "ecs.unexpected", message: "ECS did not report the deployment of \(name)")
        }
        _ = try await deployer.waitSteady(service: name, deploymentId: deploymentId, since: started, knownEvents: knownEvents, timeout: timeout, initial: answer)
        run.log.log("Service \(name) runs \(count) task(s)", unit: unit)
    }
}
