import DelegateProtocol
import Foundation
import Testing

/// A broken image on the tutorial's service (no circuit breaker) fails the step as soon as ECS has said why.
@Suite(.serialized) struct FailFastIntegrationTests {
    /// Real seconds per simulated ECS second in these tests: slow enough that "10 s of ECS time" is 2 s of real time.
    static let timeScale = 0.2

    /// A world with `nginx:perl` deployed, tasks that fail fast, and `nginx:broken` failing to pull.
    static func brokenImageWorld(_ name: String) async throws -> ECSWorld {
        let w = try await ECSWorld.start(name)
        let (ok, log) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "good")
        #expect(ok.state == "succeeded", "\(ok.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        _ = try await w.sim.control("/_awssim/config", #"{"timeScale": \#(timeScale), "provisioningSeconds": 1, "pendingSeconds": 2, "stoppingSeconds": 1}"#)
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:broken", "failToStart": true}"#)
        return w
    }

    @Test func aBrokenImageFailsWithinTenECSSecondsOfTheThresholdAndTheRollbackRestoresTheSnapshot() async throws {
        let w = try await Self.brokenImageWorld("fail-fast")
        // The default 600 s timeout: only failing fast can end this step within the test's bound.
        var bad = try deployPayload(sim: w.sim, image: "nginx:broken")
        bad["steadyStateTimeoutSeconds"] = nil
        let (failed, log) = try await w.run("ecs.rolling.deploy", bad, execution: "bad", timeout: .seconds(60))
        #expect(failed.state == "failed", "\(log.joined(separator: "\n"))")
        #expect(failed.error?.code == "ecs.deployment_failed")
        let message = failed.error?.message ?? ""
        #expect(message.hasPrefix("CannotPullContainerError: pull image manifest has been retried"), "\(message)")
        #expect(message.contains("already changed: registered task definition fargate-task-definition:2"), "\(message)")

        // When the threshold was reached: the third task of the broken deployment that failed to start (desired 1: threshold 3).
        let failures = try await failedTasks(w.sim, taskDefinitionSuffix: ":2")
        #expect(failures.count >= 3, "\(failures)")
        if failures.count >= 3, let done = failed.finishedAt {
            let ecsSeconds = done.timeIntervalSince(failures[2]) / Self.timeScale
            print("fail-fast: the step failed \(String(format: "%.1f", ecsSeconds)) ECS s after the threshold (\(failures.count) failed tasks seen by ECS)")
            #expect(ecsSeconds <= 10, "failed \(ecsSeconds) ECS seconds after the threshold")
        }
        // Churn is one line per reason with a count, not a line per task.
        #expect(log.filter { $0.hasPrefix("Task ") && $0.contains("stopped: CannotPullContainerError") }.count == 1, "\(log.joined(separator: "\n"))")
        #expect(log.count < 60, "\(log.count) lines:\n\(log.joined(separator: "\n"))")

        // The rollback restores what the snapshot recorded.
        let snapshot = try #require(failed.rollbackSnapshot?["service"])
        let (rb, rlog) = try await w.run("ecs.rolling.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "bad", timeout: .seconds(60))
        #expect(rb.state == "succeeded", "\(rb.error?.message ?? "")\n\(rlog.joined(separator: "\n"))")
        let now = try JSONValue(parsing: JSONSerialization.data(withJSONObject: try #require(try await w.sim.describeService("myapp"))))
        for member in ["taskDefinition", "desiredCount", "launchType", "deploymentConfiguration", "networkConfiguration", "loadBalancers", "platformVersion"] {
            #expect(now[member] == snapshot[member], "\(member): \(now[member].map { "\($0)" } ?? "nil") != snapshot \(snapshot[member].map { "\($0)" } ?? "nil")")
        }
        #expect(now["deployments"]?.arrayValue?.count == 1)
        #expect(now["runningCount"] == snapshot["desiredCount"])
    }

    @Test func withoutFailFastTheStepWaitsAndItsTimeoutNamesTheLastStoppedReason() async throws {
        let w = try await Self.brokenImageWorld("no-fail-fast")
        var bad = try deployPayload(sim: w.sim, image: "nginx:broken")
        bad["steadyStateTimeoutSeconds"] = 6
        bad["failFast"] = false
        let (failed, log) = try await w.run("ecs.rolling.deploy", bad, execution: "wait", timeout: .seconds(60))
        #expect(failed.state == "failed")
        #expect(failed.error?.code == "ecs.timeout", "\(failed.error?.message ?? "")")
        let message = failed.error?.message ?? ""
        #expect(message.contains("did not reach steady state within 6"), "\(message)")
        #expect(message.contains("last stopped task of the deployment: CannotPullContainerError"), "\(message)")
        // 6 s is 30 ECS seconds: several failures, each after the first counted in one closing line.
        let failures = try await failedTasks(w.sim, taskDefinitionSuffix: ":2")
        #expect(failures.count > 3)
        #expect(log.filter { $0.hasPrefix("Task ") && $0.contains("stopped: CannotPullContainerError") }.count == 1)
        #expect(log.contains { $0.contains("more task(s) of deployment") && $0.contains("stopped: CannotPullContainerError") }, "\(log.joined(separator: "\n"))")
    }

    @Test func failFastMustBeABoolean() async throws {
        let w = try await ECSWorld.start("fail-fast-payload")
        var bad = try deployPayload(sim: w.sim, image: "nginx:perl")
        bad["failFast"] = "no"
        let (info, _) = try await w.run("ecs.rolling.deploy", bad, execution: "p")
        #expect(info.state == "failed")
        #expect(info.error?.code == "invalid_payload")
        #expect(info.error?.message.contains("failFast") == true, "\(info.error?.message ?? "")")
    }
}

/// When each task of the service's `…taskDefinitionSuffix` revision that failed to start began stopping (ECS counts the failure then), oldest first.
func failedTasks(_ sim: Simulator, taskDefinitionSuffix: String) async throws -> [Date] {
    let listed = try await sim.ecs("ListTasks", ["cluster": sim.cluster, "serviceName": "myapp", "desiredStatus": "STOPPED"])
    let arns = listed["taskArns"] as? [String] ?? []
    guard !arns.isEmpty else { return [] }
    let described = try await sim.ecs("DescribeTasks", ["cluster": sim.cluster, "tasks": Array(arns.prefix(100))])
    let tasks = described["tasks"] as? [[String: Any]] ?? []
    return tasks.filter { ($0["taskDefinitionArn"] as? String)?.hasSuffix(taskDefinitionSuffix) == true && $0["stopCode"] as? String == "TaskFailedToStart" }
        .compactMap { t -> Date? in
            if let d = t["stoppingAt"] as? Double { return Date(timeIntervalSince1970: d) }
            if let s = t["stoppingAt"] as? String { return ISO8601DateFormatter().date(from: s) }
            return nil
        }
        .sorted()
}
