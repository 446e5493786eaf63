import AWSCore
import DelegateProtocol
import Foundation

/// What one look at a service says about our deployment.
package enum RolloutVerdict: Equatable {
    case waiting
    case steady
    case failed(String)
}

/// The pure core of the steady-state wait: feed it DescribeServices output and the service's stopped tasks,
/// read the verdict and the lines to log.
///
/// Success: the service has exactly one deployment, it is ours, runningCount
/// equals desiredCount, and its rolloutState (when present) is COMPLETED.
/// Failure: our deployment is FAILED, or it is gone (the ECS circuit breaker
/// rolled it back: reporting that as success is the mistake popular tools made),
/// or (`failFast`) tasks of our deployment keep failing with one reason while
/// none of them runs: as many as the circuit breaker's threshold
/// (`failFastThreshold`), whether or not the service has the circuit breaker on.
///
/// Churn is collapsed: once our deployment has failed tasks, an event shaped
/// like one already logged (task ids aside), and a stop with a reason already
/// logged, are counted instead of logged; `summary()` gives one line per kind
/// with the count.
package struct RolloutTracker {
    let serviceName: String
    let deploymentId: String
    /// Events older than this are history, not part of this deployment.
    let since: Date
    /// Fail as soon as our tasks keep failing with one reason and none runs, instead of waiting for the timeout.
    let failFast: Bool
    private(set) var seenEvents: Set<String> = []
    private var lastProgress: (running: Int, desired: Int)?
    private var saidWaitingForSteady = false
    /// Our deployment's `failedTasks` as ECS last reported it.
    package private(set) var failedTasks = 0
    /// Stopped tasks already looked at (of any deployment), so each is described and logged once.
    private var seenStopped: Set<String> = []
    /// Our tasks that failed on their own, per stopped reason.
    private var failuresByReason: [String: Int] = [:]
    /// Our failed tasks seen in DescribeTasks answers.
    package private(set) var failuresSeen = 0
    /// Stop reasons already logged once, and how many later stops with them were only counted (in first-seen order).
    private var stopRepeats: [(reason: String, count: Int)] = []
    /// Event shapes already logged, and the later events of the same shape only counted (in first-seen order).
    private var loggedEventShapes: Set<String> = []
    private var eventRepeats: [(shape: String, last: String, at: Date, count: Int)] = []
    /// The stoppedReason of the last task of ours seen stopped, for a timeout's message.
    package private(set) var lastStoppedReason: String?

    /// Starts tracking deployment `deploymentId`; `knownEventIds` are events already there before it.
    package init(serviceName: String, deploymentId: String, since: Date, knownEventIds: Set<String> = [], failFast: Bool = true) {
        self.serviceName = serviceName
        self.deploymentId = deploymentId
        self.since = since
        self.failFast = failFast
        seenEvents = knownEventIds
    }

    /// The ECS circuit breaker's failure threshold for `desired` tasks: max(3, min(200, ceil(desired × 0.5))).
    package static func failFastThreshold(desired: Int) -> Int {
        let half = desired / 2 + desired % 2  // ceil(desired × 0.5) without overflow
        return max(3, min(200, half))
    }

    /// Whether the deployment churns: tasks of ours have failed, so repeated events and stops are collapsed.
    private var churning: Bool { failedTasks > 0 || failuresSeen > 0 }

    /// Looks at one DescribeServices answer; returns the verdict and the lines to log, in order.
    package mutating func observe(_ answer: JSONValue) -> (RolloutVerdict, [String], changed: Bool) {
        let service = ECSService(answer)
        var lines: [String] = []
        var changed = false
        let ours = service.deployments.first { $0.id == deploymentId }
        if let failed = ours?.failedTasks, failed != failedTasks {
            failedTasks = failed
            changed = true
        }
        // Events come newest first; print unseen ones oldest first, exactly once.
        for e in service.events.reversed() {
            guard let id = e.id, !seenEvents.contains(id) else { continue }
            seenEvents.insert(id)
            let at = e.createdAt ?? Date()
            guard at >= since else { continue }
            changed = true
            let message = e.message ?? ""
            let shape = Self.shape(message)
            if churning, loggedEventShapes.contains(shape) {
                if let i = eventRepeats.firstIndex(where: { $0.shape == shape }) {
                    eventRepeats[i].count += 1
                    eventRepeats[i].last = message
                    eventRepeats[i].at = at
                } else {
                    eventRepeats.append((shape, message, at, 1))
                }
                continue
            }
            loggedEventShapes.insert(shape)
            lines.append("# AWS Event: \(eventTime(at)) \(message)")
        }
        guard let ours else {
            let why = service.primaryDeployment.map { "a newer deployment \($0.id ?? "?") (task definition \($0.taskDefinition ?? "?")) replaced it" } ?? "it is no longer listed"
            return (.failed("deployment \(deploymentId) of service \(serviceName) is gone: \(why); ECS rolled it back (deployment circuit breaker)"), lines, true)
        }
        if ours.rolloutState == "FAILED" {
            return (.failed("deployment \(deploymentId) of service \(serviceName) failed: \(ours.rolloutStateReason ?? "rollout failed")\(lastStopNote)"), lines, true)
        }
        let running = ours.runningCount ?? 0
        let desired = ours.desiredCount ?? 0
        if lastProgress.map({ $0 != (running, desired) }) ?? true {
            lastProgress = (running, desired)
            lines.append("Waiting for pending tasks to finish. \(running)/\(desired) running ...")
            changed = true
        }
        if let failure = failFastVerdict() {
            return (failure, lines, true)
        }
        let rollout = ours.rolloutState
        let steady = service.deployments.count == 1 && running == desired && (rollout == nil || rollout == "COMPLETED")
        if running == desired && !steady && !saidWaitingForSteady {
            saidWaitingForSteady = true
            lines.append("Waiting for Service \(serviceName) to reach steady state")
        }
        if steady {
            if !saidWaitingForSteady { lines.append("Waiting for Service \(serviceName) to reach steady state") }
            lines.append("Service \(serviceName) reached steady state")
            return (.steady, lines, true)
        }
        return (.waiting, lines, changed)
    }

    /// Whether the stopped tasks should be looked at: ECS counts failures of ours not seen yet.
    package var hasUnseenFailures: Bool { failedTasks > failuresSeen }

    /// The stopped-task ARNs not looked at yet, at most `limit` (one DescribeTasks call): describe them and pass them to `observeStopped`.
    package func unseen(_ arns: [String], limit: Int = 100) -> [String] {
        Array(arns.lazy.filter { !seenStopped.contains($0) }.prefix(max(0, limit)))
    }

    /// Looks at the DescribeTasks entries of stopped tasks (`asked`: the ARNs that were described, each then counted as seen);
    /// returns the verdict and the lines to log.
    package mutating func observeStopped(_ tasks: [JSONValue], asked: [String]) -> (RolloutVerdict, [String]) {
        seenStopped.formUnion(asked)
        var lines: [String] = []
        for t in tasks.map(ECSTask.init) {
            if let arn = t.taskArn { seenStopped.insert(arn) }
            guard t.startedBy == deploymentId else { continue }
            let reason = t.stoppedReason ?? "no reason given"
            lastStoppedReason = reason
            if t.failedOnItsOwn {
                failuresByReason[reason, default: 0] += 1
                failuresSeen += 1
            }
            if let i = stopRepeats.firstIndex(where: { $0.reason == reason }) {
                stopRepeats[i].count += 1
                continue
            }
            stopRepeats.append((reason, 0))
            var line = "Task \(t.shortId) stopped: \(reason)"
            if !t.exits.isEmpty { line += " (\(t.exits.joined(separator: ", ")))" }
            lines.append(line)
        }
        return (failFastVerdict() ?? .waiting, lines)
    }

    /// One line per collapsed kind of event and stop, with its count; the counts start again from zero.
    package mutating func summary() -> [String] {
        var lines: [String] = []
        for r in eventRepeats {
            lines.append("# AWS Event: \(eventTime(r.at)) \(r.last) (\(r.count) more like it after the first, not shown)")
        }
        for r in stopRepeats where r.count > 0 {
            lines.append("\(r.count) more task(s) of deployment \(deploymentId) stopped: \(r.reason)")
        }
        eventRepeats = []
        stopRepeats = stopRepeats.map { ($0.reason, 0) }
        return lines
    }

    /// The fail-fast failure, when our tasks keep failing with one reason and none of them runs.
    private func failFastVerdict() -> RolloutVerdict? {
        guard failFast, let progress = lastProgress, progress.running == 0 else { return nil }
        guard let (reason, count) = failuresByReason.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
              count >= Self.failFastThreshold(desired: progress.desired) else { return nil }
        return .failed("\(reason) (\(count) tasks of deployment \(deploymentId) of service \(serviceName) stopped with this reason and none is running; failing fast, set failFast: false to wait instead)")
    }

    /// "; last stopped task: REASON", or nothing when no task of ours was seen stopped.
    var lastStopNote: String {
        lastStoppedReason.map { "; last stopped task of the deployment: \($0)" } ?? ""
    }

    /// An event's message with task ids taken out, so churn events compare equal.
    static func shape(_ message: String) -> String {
        message.replacing(/\(task [^)]*\)/, with: "(task)")
    }
}
