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
        let clients = try run.clients()
        let deployer = try run.deployer(cluster: cluster)
        let log = run.log
        let timeout = run.wait.timeout
        run.beginChanges()
        let current = try await deployer.service(serviceName)
        if snapshot["firstDeployment"]?.boolValue == true {
            guard current?.isActive == true else {
                log.log("Service \(serviceName) does not exist: nothing to delete", unit: unit)
                return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: serviceName, deleted: true))
            }
            try await deployer.detachScaling(service: serviceName)
            log.log("Deleting service \(serviceName) (it did not exist before the deployment)..", unit: unit)
            _ = try await clients.ecs.deleteService(cluster: cluster, service: serviceName, force: true)
            run.journal.record("deleted service \(serviceName)")
            try await deployer.waitInactive(serviceName, timeout: timeout)
            log.log("Deleted service \(serviceName)", unit: unit)
            log.log("Rollback Successful.", unit: unit)
            return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: serviceName, deleted: true))
        }
        guard let old = snapshot["service"], let oldTD = old["taskDefinition"]?.stringValue else {
            throw TaskError(code: "invalid_snapshot", message: "the rollback snapshot has no service.taskDefinition")
        }
        guard let current, current.isActive else {
            throw TaskError(code: "ecs.service_missing", message: "service \(serviceName) is not ACTIVE in cluster \(cluster): it cannot be rolled back to \(oldTD)")
        }
        let oldCount = old["desiredCount"]?.intValue ?? 0
        let currentCount = current.desiredCount ?? 0
        let count = max(oldCount, currentCount)
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
            let knownEvents = current.eventIds
            let started = Date().addingTimeInterval(-1)
            let answer = try await clients.ecs.updateService(.object(update))
            run.journal.record("updated service \(serviceName) back to \(oldTD)")
            guard let deploymentId = primaryDeploymentId(answer) else {
                throw TaskError(code: "ecs.unexpected", message: "ECS did not report the rollback deployment of \(serviceName)")
            }
            _ = try await deployer.waitSteady(service: serviceName, deploymentId: deploymentId, since: started, knownEvents: knownEvents, timeout: timeout, initial: answer)
        }
        let targets = (snapshot["scalableTargets"]?.arrayValue ?? [])
        let policies = (snapshot["scalingPolicies"]?.arrayValue ?? [])
        try await deployer.attachScaling(service: serviceName, targets: targets, policies: policies)
        log.log("Rollback Successful.", unit: unit)
        return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: serviceName, taskDefinitionArn: oldTD, desiredCount: count))
    }
}
