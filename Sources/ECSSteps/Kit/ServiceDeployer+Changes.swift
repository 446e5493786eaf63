import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation

/// The changes steps compose: delete a service and wait, roll out one change and wait, scale.
extension ServiceDeployer {
    /// The service, which must be ACTIVE.
    func activeService(_ name: String) async throws -> ECSService {
        guard let current = try await service(name), current.isActive else {
            throw TaskError(code: "ecs.service_missing", message: "service \(name) is not ACTIVE in cluster \(cluster)")
        }
        return current
    }

    /// Takes the service's scaling off, deletes it (`force`: tasks and all) and waits for INACTIVE; returns whether it had to wait.
    ///
    /// `announce` is the step's own line before the delete; `note` what the journal keeps.
    @discardableResult
    func delete(service name: String, announce: String, note: String, unit: String, timeout: Duration) async throws -> Bool {
        try await detachScaling(service: name)
        log.log(announce, unit: unit)
        _ = try await clients.ecs.deleteService(cluster: cluster, service: name, force: true)
        journal.record(note)
        return try await waitInactive(name, timeout: timeout)
    }

    /// Makes one change that starts a deployment of `name` (`change` returns CreateService's or UpdateService's answer) and waits for steady state.
    ///
    /// `knownEvents` are the service's events before the change (its old ones
    /// are not news). Returns the change's answer, its deployment and the steady service.
    func rollOut(service name: String, knownEvents: Set<String>, timeout: Duration, _ change: () async throws -> JSONValue?) async throws
        -> (answer: JSONValue?, deploymentId: String, steady: JSONValue)
    {
        let started = Date().addingTimeInterval(-1)
        let answer = try await change()
        guard let deploymentId = primaryDeploymentId(answer) else {
            throw TaskError(code: "ecs.unexpected", message: "ECS did not report the deployment of \(name)")
        }
        context.logger.info("waiting for deployment", metadata: ["service": "\(name)", "deployment": "\(deploymentId)"])
        let steady = try await waitSteady(service: name, deploymentId: deploymentId, since: started, knownEvents: knownEvents, timeout: timeout, initial: answer)
        return (answer, deploymentId, steady)
    }

    /// UpdateService with the count alone, then steady state; a service already at the count and steady is left alone.
    func scale(_ current: ECSService, to count: Int, unit: String, timeout: Duration) async throws {
        let name = current.serviceName ?? "?"
        let before = current.desiredCount ?? 0
        let steady = current.deployments.count == 1 && current.runningCount == before
        if before == count && steady {
            log.log("Service \(name) already has desired count \(count) and is steady", unit: unit)
            return
        }
        log.log("Updating Service \(name) desired count from \(before) to \(count)", unit: unit)
        _ = try await rollOut(service: name, knownEvents: current.eventIds, timeout: timeout) {
            let answer = try await clients.ecs.updateService(["cluster": .string(cluster), "service": .string(name), "desiredCount": .number(Double(count))])
            journal.record("set the desired count of \(name) to \(count)")
            return answer
        }
        log.log("Service \(name) runs \(count) task(s)", unit: unit)
    }
}
