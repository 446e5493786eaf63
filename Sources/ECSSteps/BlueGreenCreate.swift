import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `ecs.bluegreen.create`: the new version as the stage service, behind the stage listener's target group.
///
/// Resolves the load balancer, the prod and stage listeners and rules (the
/// default rule when none is named) and their target groups; finds the blue
/// service (`<name>__1` or `<name>__2`, ACTIVE, tagged BG_VERSION=BLUE); the new
/// service takes the other suffix, the stage target group (`<+targetGroupArn>`)
/// and BG_VERSION=GREEN. A target group port that no container maps fails
/// before any change, with the tutorial's message. Outputs `stageUrl` and
/// `prodUrl` (`http(s)://DNS-NAME:PORT` of each listener) for `verify.http`.
struct BlueGreenCreateStep: ECSStep {
    static let type = TaskType.blueGreenCreate
    static let noun = "blue/green deployment"
    static let waitsOnRollout = true

    typealias Payload = BlueGreenCreatePayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let log = run.log
        let clients = try run.clients()
        let elb = clients.elb
        let unit = "Deploy"

        // The load balancer side first: its stage target group fills <+targetGroupArn>.
        let lb = try await ELBRouting.loadBalancer(elb, p.loadBalancer)
        let lbArn = lb["LoadBalancerArn"]?.stringValue ?? p.loadBalancer
        let listeners = try await elb.describeListeners(loadBalancerArn: lbArn)
        let prodListener = try ELBRouting.listener(listeners, named: p.prodListener, loadBalancerArn: lbArn)
        let stageListener = try ELBRouting.listener(listeners, named: p.stageListener, loadBalancerArn: lbArn)
        let prod = try await ELBRouting.route(elb, listenerArn: prodListener.arn, rule: p.prodListenerRule)
        let stage = try await ELBRouting.route(elb, listenerArn: stageListener.arn, rule: p.stageListenerRule)
        guard let prodTG = prod.targetGroupArn, let stageTG = stage.targetGroupArn else {
            throw TaskError(code: "elb.no_target_group", message: "the prod and stage listener rules must forward to target groups")
        }
        guard prodTG != stageTG else {
            throw TaskError(code: "elb.same_target_group", message: "the prod and stage listeners both forward to \(prodTG): blue/green needs two target groups")
        }
        log.log("Prod Listener \(prod.listenerArn) forwards to \(prodTG); Stage Listener \(stage.listenerArn) forwards to \(stageTG)", unit: unit)

        var variables = p.variables ?? [:]
        variables["targetGroupArn"] = .string(stageTG)
        var manifests = try await run.loadServiceManifests(p.manifests, variables: variables, artifact: p.artifact)
        let base = try manifests.serviceName()
        try Self.checkTargetGroup(sd: manifests.serviceDefinition, td: manifests.taskDefinition, stageTG: stageTG)
        try await Self.checkPort(elb: elb, td: manifests.taskDefinition, targetGroupArn: stageTG)

        // Which service is blue, which suffix the new one takes.
        let deployer = try run.deployer(cluster: p.cluster)
        let (answers, _) = try await deployer.patiently { try await clients.ecs.describeServices(cluster: p.cluster, services: BlueGreenNames.candidates(base), includeTags: true) }
        let found = answers.map { (json: $0, model: ECSService($0)) }
        let blue = found.first { $0.model.isActive && $0.model.tag(BlueGreenNames.tagKey) == BlueGreenNames.blue }?.model
        let newName = blue?.serviceName.map(BlueGreenNames.other) ?? BlueGreenNames.candidates(base)[0]
        let newCurrent = found.first { $0.model.serviceName == newName }
        let newExisted = newCurrent?.model.isActive == true
        let oldName = blue?.serviceName
        log.log(blue == nil ? "No blue service of \(base) is running: this is the first deployment" : "Blue service: \(oldName ?? "?"); the new version goes to \(newName)", unit: unit)

        let snapshot = BlueGreenSnapshot(
            baseName: base, cluster: p.cluster, prod: prod, stage: stage, oldServiceName: oldName, oldDesiredCount: blue?.desiredCount,
            newServiceName: newName, newServiceExisted: newExisted, newDesiredCount: newExisted ? newCurrent?.model.desiredCount : nil,
            isFirstDeployment: blue == nil)
        log.log("Preparing rollback data for blue/green service \(base) in cluster \(p.cluster)", unit: "Prepare Rollback Data")
        try run.recordSnapshot(kind: .blueGreen, stepId: p.stepId, cluster: p.cluster, service: base, body: try JSONValue(encoding: snapshot))

        manifests.serviceDefinition["serviceName"] = .string(newName)
        if p.sameAsAlreadyRunningInstances == true, let count = blue?.desiredCount {
            manifests.serviceDefinition["desiredCount"] = .number(Double(count))
        }
        var options = ServiceDeployer.RolloutOptions()
        options.label = "Stage Service"
        options.tags = [BlueGreenNames.tagKey: BlueGreenNames.green]
        options.steadyStateTimeout = run.wait.timeout
        let outputs = try await deployer.roll(manifests, prepared: ServiceDeployer.Prepared(current: newCurrent?.json, scaling: nil), options: options)
        log.log("Target Group with Arn: \(stageTG) is associated with Stage Service \(newName)", unit: unit)
        log.log("Tag: [\(BlueGreenNames.tagKey), \(BlueGreenNames.green)] is associated with Stage Service \(newName)", unit: unit)

        let routing = BlueGreenRouting(
            cluster: p.cluster, newServiceName: newName, oldServiceName: oldName, prodListenerArn: prod.listenerArn, prodListenerRuleArn: prod.ruleArn,
            stageListenerArn: stage.listenerArn, stageListenerRuleArn: stage.ruleArn, prodTargetGroupArn: prodTG, stageTargetGroupArn: stageTG,
            isFirstDeployment: blue == nil)
        let urls = BlueGreenCreateOutputs(
            loadBalancerArn: lbArn, stageUrl: ELBRouting.url(loadBalancer: lb, listener: stageListener.listener),
            prodUrl: ELBRouting.url(loadBalancer: lb, listener: prodListener.listener))
        if let stageUrl = urls.stageUrl, let prodUrl = urls.prodUrl { log.log("Stage URL: \(stageUrl); Prod URL: \(prodUrl)", unit: unit) }
        return try JSONValue.outputs(outputs, routing, urls)
    }

    /// The service definition must put the new service in the stage target group through `<+targetGroupArn>`.
    static func checkTargetGroup(sd: JSONValue, td: JSONValue, stageTG: String) throws {
        let groups = (sd["loadBalancers"]?.arrayValue ?? []).compactMap { $0["targetGroupArn"]?.stringValue }
        guard groups.contains(stageTG) else {
            throw TaskError(code: "invalid_manifest", message: "targetGroupArn is mandatory: the service definition's loadBalancers must use targetGroupArn: <+targetGroupArn> (the stage target group \(stageTG)); nothing was changed in AWS")
        }
    }

    /// The stage target group's port must be one of the task definition's container ports.
    static func checkPort(elb: ELBv2, td: JSONValue, targetGroupArn: String) async throws {
        guard let tg = try await elb.describeTargetGroups(arns: [targetGroupArn]).first, let port = tg["Port"]?.intValue else { return }
        let ports = (td["containerDefinitions"]?.arrayValue ?? []).flatMap { c in (c["portMappings"]?.arrayValue ?? []).compactMap { $0["containerPort"]?.intValue } }
        guard ports.contains(port) else {
            throw TaskError(code: "ecs.port_mismatch", message: "No container definition has port mapping that matches the target port: \(port) for target group: \(targetGroupArn)")
        }
    }
}
