import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts

/// `aws.validate`: STS GetCallerIdentity and ECS ListClusters in the connector's region.
struct ValidateConnectorStep: ECSStep {
    static let type = TaskType.awsValidate
    static let noun = "validation"
    typealias Payload = NoPayload

    func run(_ p: NoPayload, _ run: StepRun) async throws -> [String: JSONValue] {
        let clients = try run.clients()
        do {
            let me = try await clients.sts.getCallerIdentity()
            run.log.log("Authenticated as \(me.arn) (account \(me.account))", unit: "Validate")
            let clusters = try await clients.ecs.listClusters()
            run.log.log("ecs:ListClusters in \(clients.client.configuration.region): \(clusters.count) cluster(s)", unit: "Validate")
            return ["account": .string(me.account), "arn": .string(me.arn), "region": .string(clients.client.configuration.region), "clusters": .array(clusters.map { .string($0) })]
        } catch {
            throw TaskError(code: "connector_invalid", message: "the AWS connector does not work: \(AWSFailure.describe(error))")
        }
    }
}

/// `ecs.listClusters`: the cluster ARNs in the connector's region.
struct ListClustersStep: ECSStep {
    static let type = TaskType.listClusters
    static let noun = "look-up"
    typealias Payload = NoPayload

    func run(_ p: NoPayload, _ run: StepRun) async throws -> [String: JSONValue] {
        let clients = try run.clients()
        let clusters = try await lookup { try await clients.ecs.listClusters() }
        return ["clusters": .array(clusters.map { .string($0) })]
    }
}

/// `elb.listLoadBalancers`: name, ARN, type, scheme, DNS name of each load balancer.
struct ListLoadBalancersStep: ECSStep {
    static let type = TaskType.listLoadBalancers
    static let noun = "look-up"
    typealias Payload = NoPayload

    func run(_ p: NoPayload, _ run: StepRun) async throws -> [String: JSONValue] {
        let clients = try run.clients()
        let lbs = try await lookup { try await clients.elb.describeLoadBalancers() }
        return ["loadBalancers": .array(lbs.map { lb in
            pick(lb, ["LoadBalancerName", "LoadBalancerArn", "Type", "Scheme", "DNSName", "VpcId"])
        })]
    }
}

/// `elb.listListeners`: the listeners of `loadBalancerArn`.
struct ListListenersStep: ECSStep {
    static let type = TaskType.listListeners
    static let noun = "look-up"

    typealias Payload = ListListenersPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let clients = try run.clients()
        let ls = try await lookup { try await clients.elb.describeListeners(loadBalancerArn: p.loadBalancerArn) }
        return ["listeners": .array(ls.map { pick($0, ["ListenerArn", "Port", "Protocol", "DefaultActions"]) })]
    }
}

/// `elb.listListenerRules`: the rules of `listenerArn` (the default rule included).
struct ListListenerRulesStep: ECSStep {
    static let type = TaskType.listListenerRules
    static let noun = "look-up"

    typealias Payload = ListListenerRulesPayload

    func run(_ p: Payload, _ run: StepRun) async throws -> [String: JSONValue] {
        let clients = try run.clients()
        let rules = try await lookup { try await clients.elb.describeRules(listenerArn: p.listenerArn) }
        return ["rules": .array(rules.map { pick($0, ["RuleArn", "Priority", "IsDefault", "Conditions", "Actions"]) })]
    }
}

private func lookup<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw AWSFailure.taskError(error)
    }
}

private func pick(_ v: JSONValue, _ keys: [String]) -> JSONValue {
    var o: [String: JSONValue] = [:]
    for k in keys { if let x = v[k] { o[k] = x } }
    return .object(o)
}

/// The payload of a step that takes none (any members are ignored).
