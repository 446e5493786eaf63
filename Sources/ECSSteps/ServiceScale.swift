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
        let deployer = try run.deployer(cluster: p.cluster)
        run.log.log("Preparing rollback data for service \(p.serviceName) in cluster \(p.cluster)", unit: "Prepare Rollback Data")
        let current = try await deployer.activeService(p.serviceName)
        let before = current.desiredCount ?? 0
        let snapshot = ScaleSnapshot(cluster: p.cluster, serviceName: p.serviceName, desiredCount: before, taskDefinition: current.taskDefinition)
        try run.recordSnapshot(kind: .scale, stepId: p.stepId, cluster: p.cluster, service: p.serviceName, body: try JSONValue(encoding: snapshot))
        run.log.log("Recorded service \(p.serviceName): desired count \(before)", unit: "Prepare Rollback Data")
        try await deployer.scale(current, to: p.desiredCount, unit: "Scale", timeout: run.wait.timeout)
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
        let count = try snapshot.snapshot(as: ScaleSnapshot.self, "scaling").desiredCount
        guard (0...ServiceScalePayload.maxDesiredCount).contains(count) else {
            throw TaskError(code: "invalid_snapshot", message: "the scaling snapshot's desiredCount is \(count); it must be from 0 to \(ServiceScalePayload.maxDesiredCount)")
        }
        let deployer = try run.deployer(cluster: p.cluster)
        run.beginChanges()
        let current = try await deployer.activeService(p.serviceName)
        try await deployer.scale(current, to: count, unit: "Rollback", timeout: run.wait.timeout)
        run.log.log("Rollback Successful.", unit: "Rollback")
        return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: p.serviceName, desiredCount: count))
    }
}
