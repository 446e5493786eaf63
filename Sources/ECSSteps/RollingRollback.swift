import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Logging

/// `ecs.rolling.rollback`: restores a service from its rollback snapshot. Idempotent.
///
/// Payload: `cluster`, `serviceName`, and optionally `snapshot` (the one the
/// manager kept from the deploy task's result); otherwise the delegate's own
/// SQLite snapshot for the task's `executionId` is used. First deployment:
/// the service is deleted (absent already is success). Otherwise the service
/// goes back to the old task definition with max(old, current) desired count,
/// waits for steady state, and gets its old scalable targets and policies back.
public struct RollingRollbackHandler: TaskHandler {
    public let type = "ecs.rolling.rollback"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let p = context.envelope.payload
        let cluster = try requiredString(p, "cluster", task: type)
        let serviceName = try requiredString(p, "serviceName", task: type)
        let log = context.log
        let unit = "Rollback"
        let executionId = context.envelope.executionId ?? ""
        var snapshot = p["snapshot"].flatMap { $0 == .null ? nil : $0 }
        if snapshot == nil, !executionId.isEmpty {
            snapshot = try env.store.snapshot(executionId: executionId, cluster: cluster, service: serviceName)
            if snapshot != nil { log.log("Using the rollback data recorded by this delegate for execution \(executionId)", unit: unit) }
        } else if snapshot != nil {
            log.log("Using the rollback data sent with the task", unit: unit)
        }
        guard let snapshot else {
            let execution = executionId.isEmpty ? "(none)" : executionId
            // Only the caller can know that the deploy step never ran; a missing snapshot is otherwise a mistake
            // (a mistyped execution id, another delegate's deployment) and "succeeding" would leave the broken revision.
            if p["stepNeverRan"]?.boolValue == true {
                log.log("No rollback data for service \(serviceName) in execution \(execution), and the deploy step never ran: nothing to roll back", unit: unit)
                return TaskOutcome(outputs: ["rolledBack": false, "serviceName": .string(serviceName)])
            }
            throw TaskError(code: "snapshot.missing", message: "no rollback snapshot for service \(serviceName) in execution \(execution): none was sent with the task and this delegate recorded none, so there is nothing known to restore. Check the execution id (snapshots are kept by the delegate that ran the deployment: `ecs-delegate snapshots`); if the deploy step never ran, send \"stepNeverRan\": true")
        }
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        let poller = env.poller(for: clients, key: "\(String(describing: context.envelope.connector))")
        var deployer = ServiceDeployer(context: context, clients: clients, poller: poller, cluster: cluster)
        do {
            let current = try await deployer.currentService(serviceName)
            if snapshot["firstDeployment"]?.boolValue == true {
                guard let current, current["status"]?.stringValue == "ACTIVE" else {
                    log.log("Service \(serviceName) does not exist: nothing to delete", unit: unit)
                    return TaskOutcome(outputs: ["rolledBack": true, "deleted": true, "serviceName": .string(serviceName)])
                }
                try await deployer.detachScaling(service: serviceName)
                log.log("Deleting service \(serviceName) (it did not exist before the deployment)..", unit: unit)
                _ = try await clients.ecs.deleteService(cluster: cluster, service: serviceName, force: true)
                _ = current
                try await deployer.waitInactive(serviceName, timeout: .seconds(p["steadyStateTimeoutSeconds"]?.intValue ?? 600))
                log.log("Deleted service \(serviceName)", unit: unit)
                log.log("Rollback Successful.", unit: unit)
                return TaskOutcome(outputs: ["rolledBack": true, "deleted": true, "serviceName": .string(serviceName)])
            }
            guard let old = snapshot["service"], let oldTD = old["taskDefinition"]?.stringValue else {
                throw TaskError(code: "invalid_snapshot", message: "the rollback snapshot has no service.taskDefinition")
            }
            guard let current, current["status"]?.stringValue == "ACTIVE" else {
                throw TaskError(code: "ecs.service_missing", message: "service \(serviceName) is not ACTIVE in cluster \(cluster): it cannot be rolled back to \(oldTD)")
            }
            let oldCount = old["desiredCount"]?.intValue ?? 0
            let currentCount = current["desiredCount"]?.intValue ?? 0
            let count = max(oldCount, currentCount)
            let deployments = current["deployments"]?.arrayValue ?? []
            let alreadyThere = current["taskDefinition"]?.stringValue == oldTD && deployments.count == 1
                && current["runningCount"]?.intValue == current["desiredCount"]?.intValue
            try await deployer.detachScaling(service: serviceName)
            if alreadyThere {
                log.log("Service \(serviceName) already runs \(oldTD) and is steady", unit: unit)
            } else {
                var update: [String: JSONValue] = ["cluster": .string(cluster), "service": .string(serviceName), "taskDefinition": .string(oldTD), "desiredCount": .number(Double(count))]
                for k in ["deploymentConfiguration", "networkConfiguration", "loadBalancers", "capacityProviderStrategy", "platformVersion", "healthCheckGracePeriodSeconds"] {
                    if let v = old[k] { update[k] = v }
                }
                log.log("Updating Service \(serviceName) with task definition \(oldTD) and desired count \(count)", unit: unit)
                let knownEvents = Set((current["events"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
                let started = Date().addingTimeInterval(-1)
                let answer = try await clients.ecs.updateService(.object(update))
                deployer.changes.append("updated service \(serviceName) back to \(oldTD)")
                guard let deploymentId = primaryDeploymentId(answer) else {
                    throw TaskError(code: "ecs.unexpected", message: "ECS did not report the rollback deployment of \(serviceName)")
                }
                _ = try await deployer.waitSteady(service: serviceName, deploymentId: deploymentId, since: started, knownEvents: knownEvents, timeout: .seconds(p["steadyStateTimeoutSeconds"]?.intValue ?? 600), initial: answer)
            }
            let targets = (snapshot["scalableTargets"]?.arrayValue ?? [])
            let policies = (snapshot["scalingPolicies"]?.arrayValue ?? [])
            try await deployer.attachScaling(service: serviceName, targets: targets, policies: policies)
            log.log("Rollback Successful.", unit: unit)
            return TaskOutcome(outputs: ["rolledBack": true, "serviceName": .string(serviceName), "taskDefinitionArn": .string(oldTD), "desiredCount": .number(Double(count))])
        } catch let e as CancellationError {
            _ = e
            let changed = deployer.changes.isEmpty ? "nothing was changed" : "already changed: " + deployer.changes.joined(separator: "; ")
            throw TaskFailure(status: .cancelled, error: TaskError(code: "cancelled", message: "the rollback was cancelled; \(changed)"))
        } catch let e as TaskError {
            throw e
        } catch {
            throw TaskError(code: "aws", message: "rollback of \(serviceName) failed: \(describeAWS(error))")
        }
    }
}

/// `aws.validate`: STS GetCallerIdentity and ECS ListClusters in the connector's region.
public struct ValidateConnectorHandler: TaskHandler {
    public let type = "aws.validate"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        do {
            let me = try await clients.sts.getCallerIdentity()
            context.log.log("Authenticated as \(me.arn) (account \(me.account))", unit: "Validate")
            let clusters = try await clients.ecs.listClusters()
            context.log.log("ecs:ListClusters in \(clients.client.configuration.region): \(clusters.count) cluster(s)", unit: "Validate")
            return TaskOutcome(outputs: ["account": .string(me.account), "arn": .string(me.arn), "region": .string(clients.client.configuration.region), "clusters": .array(clusters.map { .string($0) })])
        } catch {
            throw TaskError(code: "connector_invalid", message: "the AWS connector does not work: \(describeAWS(error))")
        }
    }
}

/// `ecs.listClusters`: the cluster ARNs in the connector's region.
public struct ListClustersHandler: TaskHandler {
    public let type = "ecs.listClusters"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        let clusters = try await lookup { try await clients.ecs.listClusters() }
        return TaskOutcome(outputs: ["clusters": .array(clusters.map { .string($0) })])
    }
}

/// `elb.listLoadBalancers`: name, ARN, type, scheme, DNS name of each load balancer.
public struct ListLoadBalancersHandler: TaskHandler {
    public let type = "elb.listLoadBalancers"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        let lbs = try await lookup { try await clients.elb.describeLoadBalancers() }
        return TaskOutcome(outputs: ["loadBalancers": .array(lbs.map { lb in
            pick(lb, ["LoadBalancerName", "LoadBalancerArn", "Type", "Scheme", "DNSName", "VpcId"])
        })])
    }
}

/// `elb.listListeners`: the listeners of `loadBalancerArn`.
public struct ListListenersHandler: TaskHandler {
    public let type = "elb.listListeners"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let arn = try requiredString(context.envelope.payload, "loadBalancerArn", task: type)
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        let ls = try await lookup { try await clients.elb.describeListeners(loadBalancerArn: arn) }
        return TaskOutcome(outputs: ["listeners": .array(ls.map { pick($0, ["ListenerArn", "Port", "Protocol", "DefaultActions"]) })])
    }
}

/// `elb.listListenerRules`: the rules of `listenerArn` (the default rule included).
public struct ListListenerRulesHandler: TaskHandler {
    public let type = "elb.listListenerRules"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let arn = try requiredString(context.envelope.payload, "listenerArn", task: type)
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        let rules = try await lookup { try await clients.elb.describeRules(listenerArn: arn) }
        return TaskOutcome(outputs: ["rules": .array(rules.map { pick($0, ["RuleArn", "Priority", "IsDefault", "Conditions", "Actions"]) })])
    }
}

private func lookup<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw TaskError(code: "aws", message: describeAWS(error))
    }
}

private func pick(_ v: JSONValue, _ keys: [String]) -> JSONValue {
    var o: [String: JSONValue] = [:]
    for k in keys { if let x = v[k] { o[k] = x } }
    return .object(o)
}
