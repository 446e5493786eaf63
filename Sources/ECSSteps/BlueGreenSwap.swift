import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// What the blue/green follow-up steps do with the create step's routing.
extension BlueGreenRouting {
    /// The routes as they are now, recorded (first write per step wins) as the snapshot before the step changes them.
    func recordSnapshot(_ run: StepRun, stepId: String?) async throws {
        let clients = try run.clients()
        let prod = try await ELBRouting.route(clients.elb, listenerArn: prodListenerArn, rule: prodListenerRuleArn)
        let stage = try await ELBRouting.route(clients.elb, listenerArn: stageListenerArn, rule: stageListenerRuleArn)
        let deployer = try run.deployer(cluster: cluster)
        let old = try await oldServiceName.asyncMap { try await deployer.service($0) } ?? nil
        let current = BlueGreenSnapshot(
            baseName: BlueGreenNames.base(of: newServiceName), cluster: cluster, prod: prod, stage: stage, oldServiceName: oldServiceName,
            oldDesiredCount: old?.desiredCount, newServiceName: newServiceName, newServiceExisted: true,
            newDesiredCount: nil, isFirstDeployment: oldServiceName == nil)
        try run.recordSnapshot(kind: .blueGreen, stepId: stepId, cluster: cluster, service: current.baseName, body: try JSONValue(encoding: current))
    }

    /// Tags a service BLUE or GREEN, with the tutorial's lines.
    func tag(_ run: StepRun, service: String, as version: String, unit: String, what: String) async throws {
        let deployer = try run.deployer(cluster: cluster)
        guard let svc = try await deployer.service(service), svc.isActive, let arn = svc.serviceArn else { return }
        run.log.log("Updating tag of \(what) service: \(service)", unit: unit)
        run.log.log("Updating service: \(service) with tag: [\(BlueGreenNames.tagKey), \(version)]", unit: unit)
        try await run.clients().ecs.tagResource(arn: arn, tags: [BlueGreenNames.tagKey: version])
        run.journal.record("tagged \(service) \(BlueGreenNames.tagKey)=\(version)")
        run.log.log("Successfully updated tag", unit: unit)
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let w): return try await transform(w)
        case .none: return nil
        }
    }
}

/// `ecs.bluegreen.swap`: the prod listener to the new service's target group, the stage listener to the old one.
///
/// ModifyListener for default rules, ModifyRule otherwise; the new service is
/// tagged BLUE and the old GREEN; unless `doNotDownsizeOldService`, the old
/// service is scaled to 0 (not deleted) after `downsizeDelaySeconds`.
struct BlueGreenSwapStep: ECSStep {
    static let type = TaskType.blueGreenSwap
    static let noun = "swap"
    static let waitsOnRollout = true

    typealias Payload = BlueGreenFollowUpPayload<BlueGreenSwapOptions>

    func run(_ payload: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let r = payload.routing
        let p = payload.options
        let log = run.log
        let unit = "Swap Target Groups"
        let elb = try run.clients().elb
        // Recorded before the listeners change (the create step's snapshot stands under its step id).
        try await r.recordSnapshot(run, stepId: p.stepId)
        let prod = try await ELBRouting.route(elb, listenerArn: r.prodListenerArn, rule: r.prodListenerRuleArn)
        let stage = try await ELBRouting.route(elb, listenerArn: r.stageListenerArn, rule: r.stageListenerRuleArn)

        for (route, name, target, which) in [(prod, "Prod", r.stageTargetGroupArn, "new"), (stage, "Stage", r.prodTargetGroupArn, "old")] {
            log.log("Modifying ELB \(name) Listener to Forward requests to Target group associated with \(which) Service", unit: unit)
            log.log(",TargetGroup: \(target)", unit: unit)
            log.log(route.isDefault ? "Modifying the default Listener: \(route.listenerArn)" : "Modifying the Listener: \(route.listenerArn)", unit: unit)
            log.log("with listener rule: \(route.ruleArn)", unit: unit)
            log.log("to forward traffic to TargetGroup: \(target)", unit: unit)
            try await ELBRouting.apply(elb, route, actions: ELBRouting.forwardActions([ForwardTarget(targetGroupArn: target, weight: 1)]))
            run.journal.record("\(name.lowercased()) listener forwards to \(target)")
            log.log("Successfully updated \(name) Listener", unit: unit)
        }
        try await r.tag(run, service: r.newServiceName, as: BlueGreenNames.blue, unit: unit, what: "new")
        if let old = r.oldServiceName {
            try await r.tag(run, service: old, as: BlueGreenNames.green, unit: unit, what: "old")
            if p.doNotDownsizeOldService == true {
                log.log("Not downsizing the old service \(old), as asked", unit: unit)
            } else {
                if let delay = p.downsizeDelaySeconds, delay > 0 {
                    log.log("Waiting \(delay) s before downsizing the old service \(old)", unit: unit)
                    try await Task.sleep(for: .seconds(delay))
                }
                let scaler = try ServiceScaler(run: run, cluster: r.cluster, timeout: run.wait.timeout)
                log.log("Downsizing the old service \(old) to 0 tasks", unit: unit)
                try await scaler.scale(try await scaler.activeService(old), to: 0, unit: unit)
            }
        }
        log.log("Swapping Successful.", unit: unit)
        return try JSONValue.outputs(BlueGreenSwapOutputs(
            swapped: true, newServiceName: r.newServiceName, oldServiceName: r.oldServiceName, prodTargetGroupArn: r.stageTargetGroupArn, stageTargetGroupArn: r.prodTargetGroupArn))
    }
}
