import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

extension BlueGreenRollbackPayload {
    /// The base service name the payload names (the `__1`/`__2` suffix stripped).
    var base: String { BlueGreenNames.base(of: serviceName ?? newServiceName ?? "") }
}

/// `ecs.bluegreen.rollback`: prod and stage forward as before, the old service back at its count, the new one gone or idle.
///
/// Listeners and rules are restored only where they differ from the snapshot;
/// the old service returns to its recorded desired count (steady state) and
/// BLUE; the new service is deleted when it did not exist before, else scaled
/// back to its recorded count and tagged GREEN. Running it twice is harmless.
struct BlueGreenRollbackStep: ECSStep {
    static let type = TaskType.blueGreenRollback
    static let noun = "rollback"
    static let waitsOnRollout = true

    typealias Payload = BlueGreenRollbackPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let unit = "Rollback"
        let log = run.log
        guard let stored = try run.rollbackSnapshot(kind: .blueGreen, stepId: p.stepId, cluster: p.cluster, service: p.base, sent: p.snapshot, stepNeverRan: p.stepNeverRan == true, unit: unit) else {
            return try JSONValue.outputs(RollbackOutputs(rolledBack: false, serviceName: p.base))
        }
        let snap: BlueGreenSnapshot
        do {
            snap = try stored.decode(as: BlueGreenSnapshot.self)
        } catch {
            throw TaskError(code: "invalid_snapshot", message: "the blue/green rollback snapshot cannot be read: \(error)")
        }
        // Check what the snapshot asks for before the first change, so a bad one cannot leave a half-done rollback.
        guard snap.cluster == p.cluster else {
            throw TaskError(code: "invalid_snapshot", message: "the blue/green snapshot is of cluster \(snap.cluster), the task names \(p.cluster): send the cluster the deployment ran in")
        }
        for (what, count) in [("oldDesiredCount", snap.oldDesiredCount), ("newDesiredCount", snap.newDesiredCount)] {
            if let count, !(0...ServiceScalePayload.maxDesiredCount).contains(count) {
                throw TaskError(code: "invalid_snapshot", message: "the blue/green snapshot's \(what) is \(count); it must be from 0 to \(ServiceScalePayload.maxDesiredCount)")
            }
        }
        let clients = try run.clients()
        let timeout = run.wait.timeout
        run.beginChanges()

        // 1. Traffic first: production goes back to the old version at once.
        for (saved, name) in [(snap.prod, "Prod"), (snap.stage, "Stage")] {
            let now = try await ELBRouting.route(clients.elb, listenerArn: saved.listenerArn, rule: saved.ruleArn)
            if ELBRouting.sameForwarding(now.actions, saved.actions) {
                log.log("\(name) Listener already forwards as before the deployment", unit: unit)
                continue
            }
            log.log("Restoring \(name) Listener rule \(saved.ruleArn) to forward to " + ELBRouting.forwardTargets(saved.actions).map(\.description).joined(separator: ", "), unit: unit)
            try await ELBRouting.apply(clients.elb, now, actions: saved.actions)
            run.journal.record("restored the \(name.lowercased()) listener")
        }

        let routing = BlueGreenRouting(
            cluster: snap.cluster, newServiceName: snap.newServiceName, oldServiceName: snap.oldServiceName, prodListenerArn: snap.prod.listenerArn,
            prodListenerRuleArn: snap.prod.ruleArn, stageListenerArn: snap.stage.listenerArn, stageListenerRuleArn: snap.stage.ruleArn,
            prodTargetGroupArn: snap.prod.targetGroupArn ?? "", stageTargetGroupArn: snap.stage.targetGroupArn ?? "", isFirstDeployment: snap.isFirstDeployment)
        let scaler = try ServiceScaler(run: run, cluster: p.cluster, timeout: timeout)
        let deployer = try run.deployer(cluster: p.cluster)

        // 2. The old service back at its count, BLUE.
        if let old = snap.oldServiceName, let count = snap.oldDesiredCount {
            log.log("Bringing the old service \(old) back to \(count) task(s)", unit: unit)
            try await scaler.scale(try await scaler.activeService(old), to: count, unit: unit)
            try await routing.tag(run, service: old, as: BlueGreenNames.blue, unit: unit, what: "old")
        }

        // 3. The new service: deleted if it did not exist before, else idle again.
        let new = snap.newServiceName
        if let current = try await deployer.service(new), current.isActive {
            if snap.newServiceExisted {
                try await scaler.scale(current, to: snap.newDesiredCount ?? 0, unit: unit)
                try await routing.tag(run, service: new, as: BlueGreenNames.green, unit: unit, what: "new")
            } else {
                try await deployer.detachScaling(service: new)
                log.log("Deleting service \(new) (it did not exist before the deployment)..", unit: unit)
                _ = try await clients.ecs.deleteService(cluster: p.cluster, service: new, force: true)
                run.journal.record("deleted service \(new)")
                try await deployer.waitInactive(new, timeout: timeout)
                log.log("Deleted service \(new)", unit: unit)
            }
        } else {
            log.log("Service \(new) is not running: nothing to remove", unit: unit)
        }
        log.log("Rollback Successful.", unit: unit)
        return try JSONValue.outputs(RollbackOutputs(rolledBack: true, serviceName: snap.baseName, oldServiceName: snap.oldServiceName, newServiceName: new))
    }
}
