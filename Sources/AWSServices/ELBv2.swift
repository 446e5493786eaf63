import AWSCore
import Foundation

/// Elastic Load Balancing v2 operations (Query protocol, Version 2015-12-01).
/// Results are the XML result converted to JSON (`member` lists become arrays).
public struct ELBv2: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// Calls any ELBv2 action with JSON input flattened to Query parameters; returns the result as JSON.
    public func call(_ action: String, _ input: JSONValue = [:]) async throws -> JSONValue {
        try await client.queryCall(service: .elbv2, action: action, parameters: QueryParameters.flatten(input)).jsonValue
    }

    private func list(_ name: String, _ values: [String]) -> [(name: String, value: String)] {
        values.enumerated().map { ("\(name).member.\($0.offset + 1)", $0.element) }
    }

    /// DescribeLoadBalancers by ARNs or names (all when both are empty), all pages.
    public func describeLoadBalancers(arns: [String] = [], names: [String] = []) async throws -> [JSONValue] {
        try await Paginator.queryCollect(
            client: client, service: .elbv2, action: "DescribeLoadBalancers",
            parameters: list("LoadBalancerArns", arns) + list("Names", names), resultKey: "LoadBalancers")
    }

    /// DescribeListeners of a load balancer or by ARNs, all pages.
    public func describeListeners(loadBalancerArn: String? = nil, listenerArns: [String] = []) async throws -> [JSONValue] {
        var p = list("ListenerArns", listenerArns)
        if let loadBalancerArn { p.append(("LoadBalancerArn", loadBalancerArn)) }
        return try await Paginator.queryCollect(client: client, service: .elbv2, action: "DescribeListeners", parameters: p, resultKey: "Listeners")
    }

    /// DescribeRules of a listener or by ARNs, all pages.
    public func describeRules(listenerArn: String? = nil, ruleArns: [String] = []) async throws -> [JSONValue] {
        var p = list("RuleArns", ruleArns)
        if let listenerArn { p.append(("ListenerArn", listenerArn)) }
        return try await Paginator.queryCollect(client: client, service: .elbv2, action: "DescribeRules", parameters: p, resultKey: "Rules")
    }

    /// DescribeTargetGroups of a load balancer, by ARNs or by names, all pages.
    public func describeTargetGroups(loadBalancerArn: String? = nil, arns: [String] = [], names: [String] = []) async throws -> [JSONValue] {
        var p = list("TargetGroupArns", arns) + list("Names", names)
        if let loadBalancerArn { p.append(("LoadBalancerArn", loadBalancerArn)) }
        return try await Paginator.queryCollect(client: client, service: .elbv2, action: "DescribeTargetGroups", parameters: p, resultKey: "TargetGroups")
    }

    /// DescribeTargetGroupAttributes: the target group's attributes as `[Key: Value]`.
    public func describeTargetGroupAttributes(arn: String) async throws -> [String: String] {
        var out: [String: String] = [:]
        for a in try await call("DescribeTargetGroupAttributes", ["TargetGroupArn": .string(arn)])["Attributes"]?.arrayValue ?? [] {
            if let k = a["Key"]?.stringValue, let v = a["Value"]?.stringValue { out[k] = v }
        }
        return out
    }

    /// DescribeTargetHealth: every target registered in the target group and its health (the operation has no pages).
    public func describeTargetHealth(targetGroupArn: String) async throws -> [TargetHealth] {
        let result = try await call("DescribeTargetHealth", ["TargetGroupArn": .string(targetGroupArn)])
        return (result["TargetHealthDescriptions"]?.arrayValue ?? []).compactMap(TargetHealth.init)
    }

    /// ModifyListener (e.g. `DefaultActions` with weighted target groups); returns the listeners.
    public func modifyListener(_ input: JSONValue) async throws -> [JSONValue] {
        try await call("ModifyListener", input)["Listeners"]?.arrayValue ?? []
    }

    /// ModifyRule (e.g. `Actions` with weighted target groups); returns the rules.
    public func modifyRule(_ input: JSONValue) async throws -> [JSONValue] {
        try await call("ModifyRule", input)["Rules"]?.arrayValue ?? []
    }
}
