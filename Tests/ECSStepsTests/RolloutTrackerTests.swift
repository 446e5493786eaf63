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

    @Test func gitURLsAreRedactedForLogs() {
        #expect(GitFetcher.redactURL("https://user:pw@example.com/repo.git") == "https://***@example.com/repo.git")
        #expect(GitFetcher.redactURL("file:///tmp/repo") == "file:///tmp/repo")
    }
}
