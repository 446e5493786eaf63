import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Logging

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
    /// What this step changed so far, shared with its `StepRun`.
    let journal: ChangeJournal
    /// Whether steady-state waits fail as soon as tasks keep failing to start (the step's `failFast`).
    var failFast = true
    var log: TaskLog { context.log }

    /// Runs a read again, with backoff, while AWS throttles it beyond the client's own retries.
    ///
    /// The delays are the client's own (`RetryConfiguration.backoff`, the one backoff), continued
    /// from where its attempts stopped: a read is never failed by throttling alone within five more.
    func patiently<T>(_ body: () async throws -> T) async throws -> T {
        let retry = clients.client.configuration.retry
        for extra in 0..<5 {
            do {
                return try await body()
            } catch let e as AWSError where e.isThrottling {
                let delay = retry.backoff(attempt: min(retry.maxAttempts, 30) + extra)  // backoff stops growing at 30 anyway
                context.logger.debug("throttled; backing off", metadata: ["code": "\(e.code)", "delay": "\(delay)"])
                try await retry.sleep(delay)
            }
        }
        return try await body()
    }

    /// The service as it is now, typed (nil when ECS does not know it).
    func service(_ name: String) async throws -> ECSService? {
        try await currentService(name).map(ECSService.init)
    }

    /// The service as DescribeServices returns it (nil when ECS does not know it), for snapshots that keep it whole.
    func currentService(_ name: String) async throws -> JSONValue? {
        // Through the shared poller: deployments starting together cost one call per 10 services.
        try await patiently { try await poller.describe(cluster: cluster, service: name) }
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
    func detachScaling(service name: String, known: (targets: [JSONValue], policies: [JSONValue])? = nil) async throws {
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
            journal.record("deleted scaling policy \(policy) of \(name)")
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
            journal.record("deregistered scalable target of \(name)")
            log.log("Deregistered Scalable Target \(t["ScalableDimension"]?.stringValue ?? "") of service \(name)", unit: "Deploy")
        }
    }

    /// Registers scalable targets and puts scaling policies (after steady state).
    func attachScaling(service name: String, targets: [JSONValue], policies: [JSONValue]) async throws {
        for t in targets {
            log.log("Registering Scalable Target for service \(name) (min \(t["MinCapacity"]?.intValue.map(String.init) ?? "-"), max \(t["MaxCapacity"]?.intValue.map(String.init) ?? "-"))", unit: "Deploy")
            _ = try await clients.autoScaling.registerScalableTarget(t)
            journal.record("registered scalable target of \(name)")
        }
        for p in policies {
            log.log("Attaching Scaling Policy \(p["PolicyName"]?.stringValue ?? "?") to service \(name)", unit: "Deploy")
            _ = try await clients.autoScaling.putScalingPolicy(p)
            journal.record("put scaling policy \(p["PolicyName"]?.stringValue ?? "?") on \(name)")
        }
        if !targets.isEmpty || !policies.isEmpty {
            log.log("Attached scaling to service \(name)", unit: "Deploy")
        }
    }

    /// Waits for a DRAINING service of this name to become INACTIVE (ECS refuses to create it before).
    /// Returns whether it had to wait.
    @discardableResult
    func waitInactive(_ name: String, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var said = false
        while ContinuousClock.now < deadline {
            let answer: JSONValue?
            do {
                answer = try await poller.describe(cluster: cluster, service: name)
            } catch let e as AWSError where e.isThrottling {
                // A throttled poll is a reason to wait longer, not to fail midway (the deadline still holds).
                try await Task.sleep(for: .seconds(1))
                continue
            }
            guard let s = answer, ECSService(s).status == "DRAINING" else { return said }
            if !said {
                log.log("Waiting for existing Service \(name) to reach inactive state", unit: "Deploy")
                said = true
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw TaskError(code: "ecs.timeout", message: "service \(name) did not reach INACTIVE within \(timeout); raise steadyStateTimeoutSeconds if ECS is slow to drain it")
    }

    /// Waits until our deployment is the only one and steady; fails on FAILED, a vanished deployment,
    /// or (`failFast`) tasks of ours that keep failing to start with one reason.
    /// `initial` is the service as CreateService/UpdateService returned it: the first observation, for free.
    func waitSteady(service name: String, deploymentId: String, since: Date, knownEvents: Set<String>, timeout: Duration, initial: JSONValue? = nil) async throws -> JSONValue {
        var tracker = RolloutTracker(serviceName: name, deploymentId: deploymentId, since: since, knownEventIds: knownEvents, failFast: failFast)
        do {
            let service = try await track(&tracker, service: name, timeout: timeout, initial: initial)
            for l in tracker.summary() { log.log(l, unit: "Deploy") }
            return service
        } catch {
            for l in tracker.summary() { log.log(l, level: "warn", unit: "Deploy") }
            throw error
        }
    }

    /// The polling loop of `waitSteady`: DescribeServices (and the stopped tasks when ECS counts new failures) into the tracker,
    /// at the times `PollSchedule` gives.
    private func track(_ tracker: inout RolloutTracker, service name: String, timeout: Duration, initial: JSONValue?) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        let targetGroups = initial.map { ECSService($0).targetGroupArns } ?? []
        let schedule = PollSchedule(deregistrationDelay: targetGroups.isEmpty ? nil : await poller.deregistrationDelay(targetGroups: targetGroups, elb: clients.elb))
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
                // Still throttled after the client's own retries (Retry.swift): wait, never fail on it; the timeout holds here too.
                if ContinuousClock.now >= deadline {
                    throw TaskError(code: "ecs.timeout", message: "service \(name) did not reach steady state within \(timeout): DescribeServices stayed throttled (\(e.code))\(tracker.lastStopNote)")
                }
                let wait = schedule.delayAfterThrottling(at: Date())
                context.logger.debug("DescribeServices throttled; waiting", metadata: ["waitMs": "\(wait)"])
                try await Task.sleep(for: wait)
                continue
            }
            let at = Date()
            guard let service else {
                throw TaskError(code: "ecs.service_missing", message: "service \(name) is missing from cluster \(cluster)")
            }
            var (verdict, lines, _) = tracker.observe(service)
            for l in lines { log.log(l, unit: "Deploy") }
            if case .failed = verdict {
                // The failure's own reason stands; the stopped tasks say why, before it is reported.
                _ = await observeStoppedTasks(service: name, tracker: &tracker)
            } else if tracker.hasUnseenFailures, case .failed(let why) = await observeStoppedTasks(service: name, tracker: &tracker) {
                verdict = .failed(why)
            }
            switch verdict {
            case .steady: return service
            case .failed(let why): throw TaskError(code: "ecs.deployment_failed", message: why)
            case .waiting: break
            }
            if ContinuousClock.now >= deadline {
                throw TaskError(code: "ecs.timeout", message: "service \(name) did not reach steady state within \(timeout)\(tracker.lastStopNote)")
            }
            let observation = PollSchedule.Observation(answer: service, deployment: tracker.deploymentId, since: tracker.since, at: at)
            try await Task.sleep(for: schedule.delay(after: observation))
        }
    }

    /// Describes the service's stopped tasks not looked at yet (at most 100 per call, each task once) and feeds them to the tracker;
    /// logs each new stop reason of our deployment once (repeats are counted) and returns the tracker's verdict.
    func observeStoppedTasks(service name: String, tracker: inout RolloutTracker) async -> RolloutVerdict {
        do {
            let arns = try await patiently { try await clients.ecs.listTasks(cluster: cluster, serviceName: name, desiredStatus: "STOPPED") }
            let fresh = tracker.unseen(arns)
            guard !fresh.isEmpty else { return .waiting }
            let tasks = try await patiently { try await clients.ecs.describeTasks(cluster: cluster, tasks: fresh, includeTags: false).tasks }
            let (verdict, lines) = tracker.observeStopped(tasks, asked: fresh)
            for l in lines { log.log(l, level: "warn", unit: "Deploy") }
            return verdict
        } catch is CancellationError {
            return .waiting
        } catch {
            log.log("Could not list stopped tasks of \(name): \(describeAWS(error))", level: "warn", unit: "Deploy")
            return .waiting
        }
    }
}

extension AWSError {
    /// Whether AWS throttled the call.
    var isThrottling: Bool { throttlingErrorCodes.contains(code) }
}

/// The id of the PRIMARY deployment in a CreateService/UpdateService answer.
func primaryDeploymentId(_ service: JSONValue?) -> String? {
    service.flatMap { ECSService($0).primaryDeployment?.id }
}
