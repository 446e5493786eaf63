import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `ecs.bluegreen.shiftTraffic`: the prod listener rule forwards to both target groups, `weight` percent to the new one.
///
/// Harness's newer traffic-shift flow: one ModifyListener (default rule) or
/// ModifyRule per call; the resulting forward config is logged. At 100 the new
/// service is tagged BLUE and the old GREEN. `ecs.bluegreen.rollback` restores
/// the forward config from before the first shift.
struct BlueGreenShiftTrafficStep: ECSStep {
    static let type = TaskType.blueGreenShiftTraffic
    static let noun = "traffic shift"

    typealias Payload = BlueGreenFollowUpPayload<ShiftTrafficOptions>

    func run(_ payload: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let r = payload.routing
        let p = payload.options
        let unit = "Shift Traffic"
        let elb = try run.clients().elb
        try await r.recordSnapshot(run, stepId: p.stepId)
        let prod = try await ELBRouting.route(elb, listenerArn: r.prodListenerArn, rule: r.prodListenerRuleArn)
        let targets = [ForwardTarget(targetGroupArn: r.stageTargetGroupArn, weight: p.weight), ForwardTarget(targetGroupArn: r.prodTargetGroupArn, weight: 100 - p.weight)]
        run.log.log("Shifting \(p.weight)% of production traffic to the new service \(r.newServiceName)", unit: unit)
        try await ELBRouting.apply(elb, prod, actions: ELBRouting.forwardActions(targets))
        run.journal.record("prod listener rule forwards \(p.weight)% to \(r.stageTargetGroupArn)")
        let now = try await ELBRouting.route(elb, listenerArn: r.prodListenerArn, rule: r.prodListenerRuleArn)
        let config = ELBRouting.forwardTargets(now.actions)
        run.log.log("Prod listener rule \(now.ruleArn) forwards to: " + config.map { "\($0.targetGroupArn) weight \($0.weight)" }.joined(separator: ", "), unit: unit)
        if p.weight == 100 {
            try await r.tag(run, service: r.newServiceName, as: BlueGreenNames.blue, unit: unit, what: "new")
            if let old = r.oldServiceName { try await r.tag(run, service: old, as: BlueGreenNames.green, unit: unit, what: "old") }
        }
        run.log.log("Traffic Shift Successful.", unit: unit)
        return try JSONValue.outputs(ShiftTrafficOutputs(weight: p.weight, forwardConfig: config.map { ShiftTrafficOutputs.Target(targetGroupArn: $0.targetGroupArn, weight: $0.weight) }))
    }
}
