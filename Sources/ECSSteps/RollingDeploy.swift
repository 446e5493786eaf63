import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Logging
import Manifests

/// The members of a service the rollback snapshot keeps (what UpdateService/CreateService can restore).
let snapshotServiceMembers = [
    "serviceName", "taskDefinition", "desiredCount", "launchType", "platformVersion", "capacityProviderStrategy", "deploymentConfiguration",
    "loadBalancers", "networkConfiguration", "healthCheckGracePeriodSeconds", "placementConstraints", "placementStrategy",
    "serviceRegistries", "enableExecuteCommand", "propagateTags", "enableECSManagedTags", "status",
]

/// Shared machinery of the steps that change a service: snapshot, deploy, wait, scaling.
struct ServiceDeployer {
    let context: TaskContext
    let clients: AWSClients
    let poller: ServicePoller
    let cluster: String
    var log: TaskLog { context.log }
    /// What this step changed so far, for a result that says so when it fails or is cancelled mid-way.
    var changes: [String] = []

    /// Runs a read again, with backoff, while AWS throttles it beyond the client's own retries.
    func patiently<T>(_ body: () async throws -> T) async throws -> T {
        var delay = Duration.milliseconds(500)
        for _ in 0..<5 {
            do {
                return try await body()
            } catch let e as AWSError where e.isThrottling {
                context.logger.debug("throttled; backing off", metadata: ["code": "\(e.code)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(8))
            }
        }
        return try await body()
    }

    /// The service as it is now (nil when it does not exist or is INACTIVE).
    func currentService(_ name: String) async throws -> JSONValue? {
        let (services, _) = try await patiently { try await clients.ecs.describeServices(cluster: cluster, services: [name], includeTags: true) }
        return services.first { $0["serviceName"]?.stringValue == name }
    }

    /// Records what the service looks like before anything changes; "first deployment" when it does not exist.
    func snapshot(service name: String, current: JSONValue?) async throws -> JSONValue {
        guard let current, current["status"]?.stringValue == "ACTIVE" else {
            return ["firstDeployment": true, "cluster": .string(cluster), "serviceName": .string(name)]
        }
        var svc: [String: JSONValue] = [:]
        for k in snapshotServiceMembers { if let v = current[k] { svc[k] = v } }
        let resourceId = "service/\(cluster)/\(name)"
        let targets = try await patiently { try await clients.autoScaling.describeScalableTargets(resourceIds: [resourceId]) }
        let policies = try await patiently { try await clients.autoScaling.describeScalingPolicies(resourceId: resourceId) }
        return [
            "current": ["scalableTargets": .array(targets), "scalingPolicies": .array(policies)],
            "firstDeployment": false, "cluster": .string(cluster), "serviceName": .string(name), "service": .object(svc),
            "scalableTargets": .array(targets.map(Self.registerable)), "scalingPolicies": .array(policies.map(Self.puttable)),
        ]
    }

    /// A DescribeScalableTargets entry as a RegisterScalableTarget body.
    static func registerable(_ t: JSONValue) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for k in ["ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity", "RoleARN", "SuspendedState"] { if let v = t[k] { o[k] = v } }
        return .object(o)
    }

    /// A DescribeScalingPolicies entry as a PutScalingPolicy body.
    static func puttable(_ p: JSONValue) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for k in ["PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension", "PolicyType", "StepScalingPolicyConfiguration", "TargetTrackingScalingPolicyConfiguration", "PredictiveScalingPolicyConfiguration"] {
            if let v = p[k] { o[k] = v }
        }
        return .object(o)
    }

    /// Deletes the service's scaling policies and deregisters its scalable targets, with the tutorial's lines.
    /// `known` passes the targets and policies the snapshot just read, to save two calls.
    mutating func detachScaling(service name: String, known: (targets: [JSONValue], policies: [JSONValue])? = nil) async throws {
        let resourceId = "service/\(cluster)/\(name)"
        log.log("Deleting Scaling Policies from service \(name)..", unit: "Deploy")
        let policies: [JSONValue]
        if let known { policies = known.policies } else { policies = try await clients.autoScaling.describeScalingPolicies(resourceId: resourceId) }
        if policies.isEmpty {
            log.log("Didn't find any Scaling Policies attached to service \(name)", unit: "Deploy")
        }
        for p in policies {
            guard let policy = p["PolicyName"]?.stringValue else { continue }
            try await clients.autoScaling.deleteScalingPolicy(
                policyName: policy, serviceNamespace: p["ServiceNamespace"]?.stringValue ?? "ecs", resourceId: resourceId,
                scalableDimension: p["ScalableDimension"]?.stringValue ?? "ecs:service:DesiredCount")
            changes.append("deleted scaling policy \(policy) of \(name)")
            log.log("Deleted Scaling Policy \(policy) from service \(name)", unit: "Deploy")
        }
        log.log("Deregistering Scalable Targets from service \(name)..", unit: "Deploy")
        let targets: [JSONValue]
        if let known { targets = known.targets } else { targets = try await clients.autoScaling.describeScalableTargets(resourceIds: [resourceId]) }
        if targets.isEmpty {
            log.log("Didn't find any Scalable Targets on service \(name)", unit: "Deploy")
        }
        for t in targets {
            try await clients.autoScaling.deregisterScalableTarget(
                serviceNamespace: t["ServiceNamespace"]?.stringValue ?? "ecs", resourceId: resourceId,
                scalableDimension: t["ScalableDimension"]?.stringValue ?? "ecs:service:DesiredCount")
            changes.append("deregistered scalable target of \(name)")
            log.log("Deregistered Scalable Target \(t["ScalableDimension"]?.stringValue ?? "") of service \(name)", unit: "Deploy")
        }
    }

    /// Registers scalable targets and puts scaling policies (after steady state).
    mutating func attachScaling(service name: String, targets: [JSONValue], policies: [JSONValue]) async throws {
        for t in targets {
            log.log("Registering Scalable Target for service \(name) (min \(t["MinCapacity"]?.intValue.map(String.init) ?? "-"), max \(t["MaxCapacity"]?.intValue.map(String.init) ?? "-"))", unit: "Deploy")
            _ = try await clients.autoScaling.registerScalableTarget(t)
            changes.append("registered scalable target of \(name)")
        }
        for p in policies {
            log.log("Attaching Scaling Policy \(p["PolicyName"]?.stringValue ?? "?") to service \(name)", unit: "Deploy")
            _ = try await clients.autoScaling.putScalingPolicy(p)
            changes.append("put scaling policy \(p["PolicyName"]?.stringValue ?? "?") on \(name)")
        }
        if !targets.isEmpty || !policies.isEmpty {
            log.log("Attached scaling to service \(name)", unit: "Deploy")
        }
    }

    /// Waits for a DRAINING service of this name to become INACTIVE (ECS refuses to create it before).
    func waitInactive(_ name: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var said = false
        while ContinuousClock.now < deadline {
            guard let s = try await poller.describe(cluster: cluster, service: name), s["status"]?.stringValue == "DRAINING" else { return }
            if !said {
                log.log("Waiting for existing Service \(name) to reach inactive state", unit: "Deploy")
                said = true
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw TaskError(code: "ecs.timeout", message: "service \(name) did not reach INACTIVE within \(timeout)")
    }

    /// Waits until our deployment is the only one and steady; fails on FAILED or a vanished deployment.
    /// `initial` is the service as CreateService/UpdateService returned it: the first observation, for free.
    func waitSteady(service name: String, deploymentId: String, since: Date, knownEvents: Set<String>, timeout: Duration, initial: JSONValue? = nil) async throws -> JSONValue {
        var tracker = RolloutTracker(serviceName: name, deploymentId: deploymentId, since: since, knownEventIds: knownEvents)
        let deadline = ContinuousClock.now + timeout
        let fastest = Duration.milliseconds(400), slowest = Duration.seconds(1)
        var interval = fastest
        var lastFailed = 0
        var pending = initial
        while true {
            try Task.checkCancellation()
            if log.cancelRequested { throw CancellationError() }
            let service: JSONValue?
            do {
                if let p = pending {
                    service = p
                    pending = nil
                } else {
                    service = try await poller.describe(cluster: cluster, service: name)
                }
            } catch let e as AWSError where e.isThrottling {
                interval = min(interval * 2, .seconds(15))
                context.logger.debug("DescribeServices throttled; backing off", metadata: ["intervalMs": "\(interval)"])
                try await Task.sleep(for: interval)
                continue
            }
            guard let service else {
                throw TaskError(code: "ecs.service_missing", message: "service \(name) is missing from cluster \(cluster)")
            }
            let (verdict, lines, changed) = tracker.observe(service)
            for l in lines { log.log(l, unit: "Deploy") }
            if tracker.failedTasks > lastFailed {
                lastFailed = tracker.failedTasks
                await logStoppedTasks(service: name, deploymentId: deploymentId)
            }
            switch verdict {
            case .steady: return service
            case .failed(let why):
                await logStoppedTasks(service: name, deploymentId: deploymentId)
                throw TaskError(code: "ecs.deployment_failed", message: why)
            case .waiting: break
            }
            if ContinuousClock.now >= deadline {
                throw TaskError(code: "ecs.timeout", message: "service \(name) did not reach steady state within \(timeout)")
            }
            // Short polls while things move, longer while nothing changes, never over a second:
            // a finished deployment is reported within about a second of ECS saying so.
            interval = changed ? fastest : min(interval * 3 / 2, slowest)
            try await Task.sleep(for: interval)
        }
    }

    private static let loggedStops = LoggedStops()

    /// Logs the stopped tasks of our deployment with their reasons (each once).
    func logStoppedTasks(service name: String, deploymentId: String) async {
        do {
            let arns = try await clients.ecs.listTasks(cluster: cluster, serviceName: name, desiredStatus: "STOPPED")
            guard !arns.isEmpty else { return }
            var tasks: [JSONValue] = []
            for start in stride(from: 0, to: arns.count, by: 100) {
                tasks += try await clients.ecs.describeTasks(cluster: cluster, tasks: Array(arns[start..<min(start + 100, arns.count)]), includeTags: false).tasks
            }
            for t in tasks where t["startedBy"]?.stringValue == deploymentId {
                let arn = t["taskArn"]?.stringValue ?? "?"
                guard await Self.loggedStops.firstTime(context.envelope.taskId + arn) else { continue }
                let id = arn.split(separator: "/").last.map(String.init) ?? arn
                var line = "Task \(id) stopped: \(t["stoppedReason"]?.stringValue ?? "no reason given")"
                let exits = (t["containers"]?.arrayValue ?? []).compactMap { c -> String? in
                    guard let code = c["exitCode"]?.intValue else { return nil }
                    return "\(c["name"]?.stringValue ?? "?") exit \(code)"
                }
                if !exits.isEmpty { line += " (\(exits.joined(separator: ", ")))" }
                log.log(line, level: "warn", unit: "Deploy")
            }
        } catch {
            log.log("Could not list stopped tasks of \(name): \(describeAWS(error))", level: "warn", unit: "Deploy")
        }
    }
}

/// Remembers which stopped tasks were already logged.
actor LoggedStops {
    private var seen: Set<String> = []
    func firstTime(_ key: String) -> Bool { seen.insert(key).inserted }
}

extension AWSError {
    /// Whether AWS throttled the call.
    var isThrottling: Bool { ["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"].contains(code) }
}

/// The id of the PRIMARY deployment in a CreateService/UpdateService answer.
func primaryDeploymentId(_ service: JSONValue?) -> String? {
    service?["deployments"]?.arrayValue?.first { $0["status"]?.stringValue == "PRIMARY" }?["id"]?.stringValue
}

/// `ecs.rolling.deploy`: fetch and render manifests, snapshot, register, create or update, wait, scale.
///
/// Payload: `cluster`, `manifests` {`taskDefinition`, `serviceDefinition`, `scalableTargets`[], `scalingPolicies`[]}
/// (each a manifest reference, see `ManifestRef`), `variables` (for `<+...>`), `sameAsAlreadyRunningInstances`,
/// `forceNewDeployment`, `steadyStateTimeoutSeconds` (default 600).
public struct RollingDeployHandler: TaskHandler {
    public let type = "ecs.rolling.deploy"
    let env: StepEnvironment

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let p = context.envelope.payload
        let cluster = try requiredString(p, "cluster", task: type)
        guard let manifests = p["manifests"], manifests.objectValue != nil else {
            throw TaskError(code: "invalid_payload", message: "\(type): payload member 'manifests' is required")
        }
        let clients = try env.clients(for: context.envelope, logger: context.logger)
        let log = context.log

        // 1. Fetch, render, validate: every problem is reported before any AWS call changes anything.
        let fetcher = ManifestFetcher(log: log, secrets: context.envelope.secrets, s3: { clients.s3 })
        let renderer = ManifestRenderer(variables: p["variables"]?.objectValue ?? [:])
        var problems: [String] = []
        func load(_ ref: JSONValue?, _ kind: ManifestKind, _ label: String) async throws -> JSONValue? {
            guard let ref else { return nil }
            let r = try ManifestRef(ref, what: label)
            let text = try await fetcher.fetch(r, kind: label)
            do {
                let rendered = try renderer.render(text, file: r.path, kind: kind)
                for n in rendered.notes { log.log("\(r.path): \(n)", unit: "Fetch Manifests") }
                return rendered.body
            } catch let e as ManifestErrors {
                for err in e.errors { log.log(err.description, level: "error", unit: "Fetch Manifests") }
                problems += e.errors.map(\.description)
                return nil
            }
        }
        guard manifests["taskDefinition"] != nil, manifests["serviceDefinition"] != nil else {
            throw TaskError(code: "invalid_payload", message: "\(type): manifests.taskDefinition and manifests.serviceDefinition are required")
        }
        let td = try await load(manifests["taskDefinition"], .taskDefinition, "EcsTaskDefinition")
        let sd = try await load(manifests["serviceDefinition"], .serviceDefinition, "EcsServiceDefinition")
        var targets: [JSONValue] = []
        for (i, t) in (manifests["scalableTargets"]?.arrayValue ?? []).enumerated() {
            if let v = try await load(t, .scalableTarget, "EcsScalableTargetDefinition\(i == 0 ? "" : " \(i + 1)")") { targets.append(v) }
        }
        var policies: [JSONValue] = []
        for (i, t) in (manifests["scalingPolicies"]?.arrayValue ?? []).enumerated() {
            if let v = try await load(t, .scalingPolicy, "EcsScalingPolicyDefinition\(i == 0 ? "" : " \(i + 1)")") { policies.append(v) }
        }
        guard problems.isEmpty, let td, let sd else {
            throw TaskError(code: "invalid_manifest", message: "the manifests have \(problems.count) problem(s); nothing was changed in AWS:\n" + problems.joined(separator: "\n"))
        }
        guard let serviceName = sd["serviceName"]?.stringValue, !serviceName.isEmpty else {
            throw TaskError(code: "invalid_manifest", message: "the service definition has no serviceName; nothing was changed in AWS")
        }
        log.log("Fetched all manifests", unit: "Fetch Manifests")

        let poller = env.poller(for: clients, key: "\(String(describing: context.envelope.connector))")
        var deployer = ServiceDeployer(context: context, clients: clients, poller: poller, cluster: cluster)
        let executionId = context.envelope.executionId ?? context.envelope.taskId

        // 2. Prepare rollback data, persisted before the first mutating call.
        log.log("Preparing rollback data for service \(serviceName) in cluster \(cluster)", unit: "Prepare Rollback Data")
        let current: JSONValue?
        let snapshot: JSONValue
        do {
            current = try await deployer.currentService(serviceName)
            snapshot = try await deployer.snapshot(service: serviceName, current: current)
            var persisted = snapshot
            if case .object(var o) = persisted {
                o["current"] = nil
                persisted = .object(o)
            }
            try env.store.saveSnapshot(executionId: executionId, cluster: cluster, service: serviceName, taskId: context.envelope.taskId, body: persisted)
        } catch let e as TaskError {
            throw e
        } catch {
            throw TaskError(code: "aws", message: "preparing rollback data failed: \(describeAWS(error)); nothing was changed in AWS")
        }
        let stored = try env.store.snapshot(executionId: executionId, cluster: cluster, service: serviceName) ?? snapshot
        if stored["firstDeployment"]?.boolValue == true {
            log.log("Service \(serviceName) does not exist yet: rollback will delete it (first deployment)", unit: "Prepare Rollback Data")
        } else {
            log.log("Recorded service \(serviceName): task definition \(stored["service"]?["taskDefinition"]?.stringValue ?? "?"), desired count \(stored["service"]?["desiredCount"]?.intValue.map(String.init) ?? "?")", unit: "Prepare Rollback Data")
        }

        func failure(_ e: Error) -> TaskFailure {
            let changed = deployer.changes.isEmpty ? "nothing was changed in AWS" : "already changed: " + deployer.changes.joined(separator: "; ")
            if e is CancellationError {
                return TaskFailure(status: .cancelled, error: TaskError(code: "cancelled", message: "the deployment was cancelled; \(changed)"), rollbackSnapshot: stored)
            }
            let base = (e as? TaskError) ?? TaskError(code: "aws", message: describeAWS(e))
            return TaskFailure(error: TaskError(code: base.code, message: "\(base.message) (\(changed))"), rollbackSnapshot: stored)
        }

        do {
            // 3. Register the task definition.
            let family = td["family"]?.stringValue ?? "?"
            log.log("Creating Task Definition with family \(family)", unit: "Deploy")
            let registered = try await clients.ecs.registerTaskDefinition(td)
            let tdArn = registered["taskDefinitionArn"]?.stringValue ?? ""
            let revision = registered["revision"]?.intValue.map(String.init) ?? "?"
            deployer.changes.append("registered task definition \(family):\(revision)")
            log.log("Created Task Definition \(family):\(revision) with Arn \(tdArn)..", unit: "Deploy")

            // 4. Create or update the service.
            let keepCount = p["sameAsAlreadyRunningInstances"]?.boolValue == true
            let force = p["forceNewDeployment"]?.boolValue == true
            let requests = DeploymentRequests(
                taskDefinition: td, service: sd, scalableTargets: targets, scalingPolicies: policies, cluster: cluster,
                taskDefinitionArn: tdArn, keepRunningCount: keepCount, forceNewDeployment: force)
            let timeout = Duration.seconds(p["steadyStateTimeoutSeconds"]?.intValue ?? 600)
            let started = Date().addingTimeInterval(-1)
            let knownEvents = Set((current?["events"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
            let deployed: JSONValue?
            let verb: String
            if let current, current["status"]?.stringValue == "ACTIVE" {
                let seen = snapshot["current"].map { c in
                    ((c["scalableTargets"]?.arrayValue ?? []), (c["scalingPolicies"]?.arrayValue ?? []))
                }
                try await deployer.detachScaling(service: serviceName, known: seen)
                let desired = keepCount ? (current["desiredCount"]?.intValue ?? 0) : (sd["desiredCount"]?.intValue ?? current["desiredCount"]?.intValue ?? 0)
                log.log("Updating Service \(serviceName) with task definition \(tdArn) and desired count \(desired)", unit: "Deploy")
                deployed = try await clients.ecs.updateService(requests.updateService ?? [:])
                deployer.changes.append("updated service \(serviceName) to \(family):\(revision)")
                verb = "Updated"
            } else {
                if current?["status"]?.stringValue == "DRAINING" {
                    try await deployer.waitInactive(serviceName, timeout: timeout)
                }
                log.log("Creating Service \(serviceName) with task definition \(tdArn) and desired count \(sd["desiredCount"]?.intValue ?? 1)", unit: "Deploy")
                deployed = try await clients.ecs.createService(requests.createService ?? [:])
                deployer.changes.append("created service \(serviceName)")
                verb = "Created"
            }
            guard let deploymentId = primaryDeploymentId(deployed) else {
                throw TaskError(code: "ecs.unexpected", message: "ECS did not report the new deployment of \(serviceName)")
            }
            context.logger.info("waiting for deployment", metadata: ["service": "\(serviceName)", "deployment": "\(deploymentId)"])

            // 5. Steady state, then scaling back on.
            let final = try await deployer.waitSteady(service: serviceName, deploymentId: deploymentId, since: started, knownEvents: knownEvents, timeout: timeout, initial: deployed)
            try await deployer.attachScaling(service: serviceName, targets: requests.registerScalableTargets, policies: requests.putScalingPolicies)
            let serviceArn = final["serviceArn"]?.stringValue ?? deployed?["serviceArn"]?.stringValue ?? ""
            log.log("\(verb) Service \(serviceName) with Arn \(serviceArn)", unit: "Deploy")

            // 6. Outputs.
            let running = (try? await clients.ecs.listTasks(cluster: cluster, serviceName: serviceName, desiredStatus: "RUNNING")) ?? []
            log.log("Deployment Successful.", unit: "Deploy")
            return TaskOutcome(outputs: [
                "serviceName": .string(serviceName), "serviceArn": .string(serviceArn), "taskDefinitionArn": .string(tdArn),
                "desiredCount": .number(Double(final["desiredCount"]?.intValue ?? 0)), "deploymentId": .string(deploymentId),
                "runningTaskArns": .array(running.map { .string($0) }), "cluster": .string(cluster),
            ], rollbackSnapshot: stored)
        } catch {
            throw failure(error)
        }
    }
}
