import AWSCore
import Foundation
import Testing
import ECSSteps

func deployment(_ id: String, _ status: String, running: Int, desired: Int, rollout: String? = "IN_PROGRESS", failed: Int = 0) -> JSONValue {
    var d: [String: JSONValue] = ["id": .string(id), "status": .string(status), "runningCount": .number(Double(running)), "desiredCount": .number(Double(desired)), "failedTasks": .number(Double(failed))]
    if let rollout { d["rolloutState"] = .string(rollout) }
    return .object(d)
}

func service(_ deployments: [JSONValue], events: [(String, Double, String)] = []) -> JSONValue {
    .object([
        "serviceName": "myapp", "deployments": .array(deployments),
        "events": .array(events.map { .object(["id": .string($0.0), "createdAt": .number($0.1), "message": .string($0.2)]) }),
    ])
}

let pullError = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref nginx:broken: nginx:broken: not found"

/// A stopped task of deployment `by` as DescribeTasks returns it.
func stopped(_ id: String, by: String = "ecs-svc/2", code: String = "TaskFailedToStart", reason: String) -> JSONValue {
    ["taskArn": .string("arn:t/\(id)"), "startedBy": .string(by), "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stopCode": .string(code), "stoppedReason": .string(reason)]
}

@Suite struct RolloutTrackerTests {
    let start = Date(timeIntervalSince1970: 1_000)

    @Test func steadyOnlyWhenOursIsTheOnlyCompletedDeployment() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        var (v, lines, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 0, desired: 2), deployment("ecs-svc/1", "ACTIVE", running: 2, desired: 2)]))
        #expect(v == .waiting)
        #expect(lines == ["Waiting for pending tasks to finish. 0/2 running ..."])
        (v, lines, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 2, desired: 2), deployment("ecs-svc/1", "ACTIVE", running: 1, desired: 0)]))
        #expect(v == .waiting)
        #expect(lines == ["Waiting for pending tasks to finish. 2/2 running ...", "Waiting for Service myapp to reach steady state"])
        (v, lines, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 2, desired: 2, rollout: "COMPLETED")]))
        #expect(v == .steady)
        #expect(lines == ["Service myapp reached steady state"])
    }

    @Test func aVanishedDeploymentIsACircuitBreakerRollbackNotASuccess() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        let (v, _, _) = t.observe(service([deployment("ecs-svc/3", "PRIMARY", running: 2, desired: 2, rollout: "COMPLETED")]))
        guard case .failed(let why) = v else { Issue.record("expected failure, got \(v)"); return }
        #expect(why.contains("is gone") && why.contains("circuit breaker"))
    }

    @Test func failedRolloutFailsWithTheReason() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        var d = deployment("ecs-svc/2", "PRIMARY", running: 0, desired: 2, rollout: "FAILED", failed: 3)
        if case .object(var o) = d { o["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."; d = .object(o) }
        let (v, _, _) = t.observe(service([d]))
        #expect(v == .failed("deployment ecs-svc/2 of service myapp failed: ECS deployment circuit breaker: tasks failed to start."))
        #expect(t.failedTasks == 3)
    }

    @Test func eventsAreStreamedOnceOldestFirstAndHistoryIsSkipped() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start, knownEventIds: ["old-known"])
        let events = [("e3", 1_002.5, "(service myapp) has reached a steady state."), ("e2", 1_001.25, "(service myapp) has started 1 tasks: (task abc)."),
                      ("old-known", 900.0, "known"), ("e0", 999.0, "before the deployment")]
        let (_, lines, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 1, desired: 1, rollout: "COMPLETED")], events: events))
        #expect(lines.prefix(2) == [
            "# AWS Event: 1970-01-01 00:16:41.250 (service myapp) has started 1 tasks: (task abc).",
            "# AWS Event: 1970-01-01 00:16:42.500 (service myapp) has reached a steady state.",
        ])
        let (_, again, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 1, desired: 1, rollout: "COMPLETED")], events: events))
        #expect(!again.contains { $0.hasPrefix("# AWS Event") })
    }

    @Test(arguments: [(0, 3), (1, 3), (6, 3), (7, 4), (8, 4), (399, 200), (400, 200), (1_000_000, 200), (-5, 3), (Int.max, 200)])
    func failFastThresholdIsTheCircuitBreakers(desired: Int, threshold: Int) {
        #expect(RolloutTracker.failFastThreshold(desired: desired) == threshold)
    }

    @Test func tasksFailingWithOneReasonFailTheStepAtTheThresholdWhenNoneRuns() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        _ = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 0, desired: 1, failed: 1), deployment("ecs-svc/1", "ACTIVE", running: 1, desired: 1)]))
        #expect(t.hasUnseenFailures)
        let arns = ["arn:t/a", "arn:t/b", "arn:t/old"]
        #expect(t.unseen(arns) == arns)
        var (v, lines) = t.observeStopped([stopped("a", reason: pullError), stopped("b", reason: pullError), stopped("old", by: "ecs-svc/1", code: "ServiceSchedulerInitiated", reason: "Scaling activity")], asked: arns)
        #expect(v == .waiting)
        #expect(lines == ["Task a stopped: \(pullError)"])
        #expect(t.unseen(arns + ["arn:t/c"]) == ["arn:t/c"])
        (v, lines) = t.observeStopped([stopped("c", reason: pullError)], asked: ["arn:t/c"])
        guard case .failed(let why) = v else { Issue.record("expected a failure, got \(v)"); return }
        #expect(why.hasPrefix("CannotPullContainerError: pull image manifest has been retried"))
        #expect(why.contains("3 tasks of deployment ecs-svc/2"))
        #expect(lines.isEmpty)
        #expect(t.summary() == ["2 more task(s) of deployment ecs-svc/2 stopped: \(pullError)"])
        #expect(t.lastStoppedReason == pullError)
    }

    @Test func failFastWaitsWhileATaskOfOursRunsOrReasonsDifferOrItIsOff() {
        let failing = service([deployment("ecs-svc/2", "PRIMARY", running: 0, desired: 4, failed: 3)])
        // Different reasons: no single reason reaches the threshold.
        var mixed = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        _ = mixed.observe(failing)
        let (v1, _) = mixed.observeStopped([stopped("a", reason: pullError), stopped("b", reason: "OutOfMemoryError"), stopped("c", reason: "ResourceInitializationError")], asked: [])
        #expect(v1 == .waiting)
        // Off: the same failures only wait.
        var off = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start, failFast: false)
        _ = off.observe(failing)
        let (v2, _) = off.observeStopped((1...5).map { stopped("t\($0)", reason: pullError) }, asked: [])
        #expect(v2 == .waiting)
        #expect(off.observe(failing).0 == .waiting)
        // One of ours runs: the deployment may yet make it; once none runs, the next look fails it.
        var running = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        _ = running.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 1, desired: 4, failed: 3)]))
        let (v3, _) = running.observeStopped((1...3).map { stopped("t\($0)", reason: pullError) }, asked: [])
        #expect(v3 == .waiting)
        guard case .failed = running.observe(failing).0 else { Issue.record("expected a failure once none runs"); return }
        // Stops that were asked for (scale-in, StopTask) never count.
        var asked = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        _ = asked.observe(failing)
        let (v4, _) = asked.observeStopped((1...5).map { stopped("t\($0)", code: "UserInitiated", reason: "Task stopped by user") }, asked: [])
        #expect(v4 == .waiting)
    }

    @Test func churnEventsCollapseIntoOneLineWithACountOnceTasksFail() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start, failFast: false)
        var events: [(String, Double, String)] = []
        var logged: [String] = []
        for i in 1...6 {
            events.insert(("s\(i)", 1_000 + Double(i), "(service myapp) has started 1 tasks: (task t\(i))."), at: 0)
            let (_, lines, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 0, desired: 1, failed: i - 1)], events: events))
            logged += lines.filter { $0.hasPrefix("# AWS Event") }
        }
        // The first start is logged before any failure; the second, once failures began, is the shape already seen.
        #expect(logged == ["# AWS Event: 1970-01-01 00:16:41.000 (service myapp) has started 1 tasks: (task t1)."])
        #expect(t.summary() == ["# AWS Event: 1970-01-01 00:16:46.000 (service myapp) has started 1 tasks: (task t6). (5 more like it after the first, not shown)"])
        #expect(t.summary().isEmpty)
    }

    @Test func aHealthyRolloutLogsEveryEvent() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start)
        let events = [("s2", 1_002.0, "(service myapp) has started 1 tasks: (task b)."), ("s1", 1_001.0, "(service myapp) has started 1 tasks: (task a).")]
        let (_, lines, _) = t.observe(service([deployment("ecs-svc/2", "PRIMARY", running: 1, desired: 2)], events: events))
        #expect(lines.filter { $0.hasPrefix("# AWS Event") }.count == 2)
        #expect(t.summary().isEmpty)
    }

    @Test func theCircuitBreakersFailureNamesTheLastStoppedReason() {
        var t = RolloutTracker(serviceName: "myapp", deploymentId: "ecs-svc/2", since: start, failFast: false)
        _ = t.observeStopped([stopped("a", reason: pullError)], asked: [])
        var d = deployment("ecs-svc/2", "PRIMARY", running: 0, desired: 2, rollout: "FAILED", failed: 3)
        if case .object(var o) = d { o["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."; d = .object(o) }
        guard case .failed(let why) = t.observe(service([d])).0 else { Issue.record("expected a failure"); return }
        #expect(why.hasSuffix("last stopped task of the deployment: \(pullError)"))
    }

    @Test func gitURLsAreRedactedForLogs() {
        #expect(GitFetcher.redactURL("https://user:pw@example.com/repo.git") == "https://***@example.com/repo.git")
        #expect(GitFetcher.redactURL("file:///tmp/repo") == "file:///tmp/repo")
    }
}
