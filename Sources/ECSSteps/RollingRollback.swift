import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `ecs.rolling.rollback`: restores a service from its rollback snapshot. Idempotent.
///
/// Payload: `cluster`, `serviceName`, and optionally `snapshot` (the one the
/// manager kept from the deploy task's result); otherwise the delegate's own
/// SQLite snapshot for the task's execution and `stepId` is used. No snapshot
/// fails the task unless `stepNeverRan` says there is nothing to undo. First deployment:
/// the service is deleted (absent already is success). Otherwise the service
/// goes back to the old task definition with max(old, current) desired count,
/// waits for steady state, and gets its old scalable targets and policies back.
struct RollingRollbackStep: ECSStep {
    static let type = TaskType.rollingRollback
    static let noun = "rollback"
    static let waitsOnRollout = true

    typealias Payload = ServiceRollbackPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let cluster = p.cluster
        let serviceName = p.serviceName
        let unit = "Rollback"
        guard let snapshot = try run.rollbackSnapshot(kind: .rolling, stepId: p.stepId, cluster: cluster, service: serviceName, sent: p.snapshot, stepNeverRan: p.stepNeverRan == true, unit: unit) else {
            return try JSONValue.outputs(RollbackOutputs(rolledBack: false, serviceName: serviceName))
        }
        let snap = try snapshot.snapshot(as: RollingSnapshot.self, "rollback")
        let clients = try run.clients()
        let deployer = try run.deployer(cluster: cluster)
        let log = run.log
        let timeout = run.wait.timeout
        run.beginChanges()
        let current = try await deployer.service(serviceName)
        if snap.firstDeployment {
            guard current?.isActive == true else {
                log.log("Service \(serviceName) does not exist: nothing to delete", unit: unit)
                return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: serviceName, deleted: true))
            }
            try await deployer.delete(service: serviceName, announce: "Deleting service \(serviceName) (it did not exist before the deployment)..",
                                      note: "deleted service \(serviceName)", unit: unit, timeout: timeout)
            log.log("Deleted service \(serviceName)", unit: unit)
            log.log("Rollback Successful.", unit: unit)
            return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: serviceName, deleted: true))
        }
        guard let old = snap.service, let oldTD = snap.taskDefinition else {
            throw TaskError(code: "invalid_snapshot", message: "the rollback snapshot has no service.taskDefinition")
        }
        guard let current, current.isActive else {
            throw TaskError(code: "ecs.service_missing", message: "service \(serviceName) is not ACTIVE in cluster \(cluster): it cannot be rolled back to \(oldTD)")
        }
        let count = max(snap.desiredCount ?? 0, current.desiredCount ?? 0)
        let alreadyThere = current.taskDefinition == oldTD && current.deployments.count == 1 && current.runningCount == current.desiredCount
        try await deployer.detachScaling(service: serviceName)
        if alreadyThere {
            log.log("Service \(serviceName) already runs \(oldTD) and is steady", unit: unit)
        } else {
            var update: [String: JSONValue] = ["cluster": .string(cluster), "service": .string(serviceName), "taskDefinition": .string(oldTD), "desiredCount": .number(Double(count))]
            for k in ["deploymentConfiguration", "networkConfiguration", "loadBalancers", "capacityProviderStrategy", "platformVersion", "healthCheckGracePeriodSeconds"] {
                if let v = old[k] { update[k] = v }
            }
            log.log("Updating Service \(serviceName) with task definition \(oldTD) and desired count \(count)", unit: unit)
            _ = try await deployer.rollOut(service: serviceName, knownEvents: current.eventIds, timeout: timeout) {
                let answer = try await clients.ecs.updateService(.object(update))
                run.journal.record("updated service \(serviceName) back to \(oldTD)")
                return answer
            }
        }
        try await deployer.attachScaling(service: serviceName, targets: snap.scalableTargets ?? [], policies: snap.scalingPolicies ?? [])
        log.log("Rollback Successful.", unit: unit)
        return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: serviceName, taskDefinitionArn: oldTD, desiredCount: count))
    }
}
