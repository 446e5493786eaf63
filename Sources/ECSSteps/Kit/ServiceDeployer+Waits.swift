import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation

/// The waits of a service change: INACTIVE after a delete, steady state after a deployment.
extension ServiceDeployer {
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
            log.log("Could not list stopped tasks of \(name): \(AWSFailure.describe(error))", level: "warn", unit: "Deploy")
            return .waiting
        }
    }
}
