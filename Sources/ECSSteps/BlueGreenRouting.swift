import AWSServices
import DelegateProtocol
import Foundation

/// One side of a blue/green load balancer: a listener and the rule that routes its traffic.
struct BlueGreenRoute: Codable, Sendable, Equatable {
    var listenerArn: String
    var ruleArn: String
    /// The listener's default rule: changed with ModifyListener, any other rule with ModifyRule.
    var isDefault: Bool
    /// The rule's actions as ELB describes them, restored as they were by a rollback.
    var actions: [JSONValue]

    /// The target group the route forwards to (the heaviest of a weighted forward).
    var targetGroupArn: String? {
        ELBRouting.forwardTargets(actions).max { $0.weight < $1.weight }?.targetGroupArn
    }
}

/// A target group a forward action sends traffic to, with its weight.
package struct ForwardTarget: Equatable, Sendable, CustomStringConvertible {
    package var targetGroupArn: String
    package var weight: Int

    package var description: String { "\(targetGroupArn) (weight \(weight))" }
}

/// Reading and changing where ELB listeners forward: the blue/green steps' load balancer side.
package enum ELBRouting {
    /// The forward targets of a rule's actions (a plain forward counts as weight 1).
    package static func forwardTargets(_ actions: [JSONValue]) -> [ForwardTarget] {
        guard let forward = actions.first(where: { $0["Type"]?.stringValue == "forward" }) else { return [] }
        if let groups = forward["ForwardConfig"]?["TargetGroups"]?.arrayValue, !groups.isEmpty {
            return groups.compactMap { g in
                guard let arn = g["TargetGroupArn"]?.stringValue else { return nil }
                // ELB weights are 0-999; a wider value (a hostile snapshot) is clamped, so sums cannot overflow.
                return ForwardTarget(targetGroupArn: arn, weight: min(max(g["Weight"]?.intValue ?? 1, 0), 999))
            }
        }
        return forward["TargetGroupArn"]?.stringValue.map { [ForwardTarget(targetGroupArn: $0, weight: 1)] } ?? []
    }

    /// Actions forwarding to `targets`: a plain forward for one target, a weighted forward config otherwise.
    static func forwardActions(_ targets: [ForwardTarget]) -> [JSONValue] {
        if targets.count == 1, let only = targets.first {
            return [["Type": "forward", "TargetGroupArn": .string(only.targetGroupArn)]]
        }
        return [["Type": "forward", "ForwardConfig": ["TargetGroups": .array(targets.map { ["TargetGroupArn": .string($0.targetGroupArn), "Weight": .number(Double($0.weight))] })]]]
    }

    /// Whether two sets of actions send traffic to the same target groups with the same shares.
    static func sameForwarding(_ a: [JSONValue], _ b: [JSONValue]) -> Bool {
        func shares(_ actions: [JSONValue]) -> [String: Double] {
            let targets = forwardTargets(actions)
            let total = Double(max(1, targets.reduce(0) { $0 + $1.weight }))
            var out: [String: Double] = [:]
            for t in targets where t.weight > 0 { out[t.targetGroupArn, default: 0] += Double(t.weight) / total }
            return out
        }
        return shares(a) == shares(b)
    }

    /// The load balancer named `nameOrArn`.
    static func loadBalancer(_ elb: ELBv2, _ nameOrArn: String) async throws -> JSONValue {
        let found = nameOrArn.hasPrefix("arn:") ? try await elb.describeLoadBalancers(arns: [nameOrArn]) : try await elb.describeLoadBalancers(names: [nameOrArn])
        guard let lb = found.first else {
            throw TaskError(code: "elb.not_found", message: "load balancer \(nameOrArn) not found")
        }
        return lb
    }

    /// The listener named `listener` (its ARN, or its port) among `listeners`, a load balancer's DescribeListeners answer.
    static func listener(_ listeners: [JSONValue], named listener: String, loadBalancerArn: String) throws -> (arn: String, listener: JSONValue) {
        guard let l = listeners.first(where: { $0["ListenerArn"]?.stringValue == listener || $0["Port"]?.intValue.map(String.init) == listener }),
              let listenerArn = l["ListenerArn"]?.stringValue else {
            let known = listeners.compactMap { x in x["Port"]?.intValue.map { "\($0) (\(x["ListenerArn"]?.stringValue ?? "?"))" } }
            throw TaskError(code: "elb.not_found", message: "listener \(listener) not found on \(loadBalancerArn) (it has: \(known.joined(separator: ", ")))")
        }
        return (listenerArn, l)
    }

    /// `http(s)://DNS-NAME:PORT` of a listener of `loadBalancer` (https for an HTTPS or TLS listener); nil when either answer lacks them.
    static func url(loadBalancer: JSONValue, listener: JSONValue) -> String? {
        guard let dns = loadBalancer["DNSName"]?.stringValue, !dns.isEmpty, let port = listener["Port"]?.intValue, (1...65_535).contains(port) else { return nil }
        let secure = ["HTTPS", "TLS"].contains(listener["Protocol"]?.stringValue?.uppercased() ?? "")
        return "\(secure ? "https" : "http")://\(dns.lowercased()):\(port)"
    }

    /// The route of a known listener ARN through `rule` (the default rule when nil or empty).
    static func route(_ elb: ELBv2, listenerArn: String, rule: String?) async throws -> BlueGreenRoute {
        let rules = try await elb.describeRules(listenerArn: listenerArn)
        let chosen: JSONValue?
        if let rule, !rule.isEmpty {
            chosen = rules.first { $0["RuleArn"]?.stringValue == rule }
        } else {
            chosen = rules.first { $0["IsDefault"]?.boolValue == true }
        }
        guard let chosen, let ruleArn = chosen["RuleArn"]?.stringValue else {
            throw TaskError(code: "elb.not_found", message: "listener rule \(rule ?? "(default)") not found on listener \(listenerArn)")
        }
        let route = BlueGreenRoute(listenerArn: listenerArn, ruleArn: ruleArn, isDefault: chosen["IsDefault"]?.boolValue == true, actions: chosen["Actions"]?.arrayValue ?? [])
        guard route.targetGroupArn != nil else {
            throw TaskError(code: "elb.no_target_group", message: "listener rule \(ruleArn) does not forward to a target group")
        }
        return route
    }

    /// Points `route` at `actions`: ModifyListener for a default rule, ModifyRule otherwise.
    static func apply(_ elb: ELBv2, _ route: BlueGreenRoute, actions: [JSONValue]) async throws {
        if route.isDefault {
            _ = try await elb.modifyListener(["ListenerArn": .string(route.listenerArn), "DefaultActions": .array(actions)])
        } else {
            _ = try await elb.modifyRule(["RuleArn": .string(route.ruleArn), "Actions": .array(actions)])
        }
    }
}
