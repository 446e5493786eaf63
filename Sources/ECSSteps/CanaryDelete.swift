import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `ecs.canary.delete`: deletes the canary service (forced) and waits for INACTIVE; absent is success.
///
/// Payload: `cluster`, and `canaryServiceName` (the canary deploy's output) or
/// `serviceName` (the service's name; the canary suffix is added when missing,
/// so the main service can never be deleted by this step). It is also the
/// rollback of a canary deployment.
struct CanaryDeleteStep: ECSStep {
    static let type = TaskType.canaryDelete
    static let noun = "canary deletion"
    static let waitsOnRollout = true

    typealias Payload = CanaryDeletePayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let canary = CanaryName.of(p.canaryServiceName ?? p.serviceName ?? "")
        let clients = try run.clients()
        let deployer = try run.deployer(cluster: p.cluster)
        let log = run.log
        run.beginChanges()
        guard let current = try await deployer.service(canary), current.status != "INACTIVE" else {
            log.log("Canary service \(canary) does not exist: nothing to delete", unit: "Canary Delete")
            return try JSONValue.outputs(CanaryDeleteOutputs(canaryServiceName: canary, deleted: false))
        }
        if current.isActive {
            try await deployer.detachScaling(service: canary)
            log.log("Deleting service \(canary)..", unit: "Canary Delete")
            _ = try await clients.ecs.deleteService(cluster: p.cluster, service: canary, force: true)
            run.journal.record("deleted service \(canary)")
        }
        if try await deployer.waitInactive(canary, timeout: run.wait.timeout) {
            log.log("Existing Service \(canary) reached inactive state", unit: "Canary Delete")
        }
        log.log("Canary service \(canary) deleted", unit: "Canary Delete")
        return try JSONValue.outputs(CanaryDeleteOutputs(canaryServiceName: canary, deleted: true))
    }
}
