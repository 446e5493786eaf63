import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// `ecs.runTask` on the simulator: exit codes, failures to start, skipping the wait, and a retried RunTask.
@Suite(.serialized) struct RunTaskIntegrationTests {
    func payload(_ w: ECSWorld, image: String, extra: [String: JSONValue] = [:]) throws -> JSONValue {
        var p: [String: JSONValue] = [
            "cluster": .string(w.sim.cluster),
            "manifests": [
                "taskDefinition": try tutorialManifest("RegisterTaskDefinitionRequest.yaml", sim: w.sim),
                "runTaskRequest": try tutorialManifest("RunTaskRequest.yaml", sim: w.sim),
            ],
            "variables": ["artifact": ["image": .string(image)]],
            "timeoutSeconds": 120,
        ]
        for (k, v) in extra { p[k] = v }
        return .object(p)
    }

    func runTaskCount(_ w: ECSWorld) async throws -> Int {
        ((try await w.sim.calls())["ecs"] as? [String: Any])?["RunTask"] as? Int ?? 0
    }

    @Test func exitCodesDecideTheOutcome() async throws {
        let w = try await ECSWorld.start("runtask")
        let (ok, log) = try await w.run("ecs.runTask", try payload(w, image: "busybox:ok", extra: ["waitForCompletion": true]), execution: "r1")
        #expect(ok.state == "succeeded", "\(ok.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(inOrder(log, ["Creating Task Definition with family fargate-task-definition", "Running 1 task(s) of", "Started task", "All tasks completed successfully."]) == nil, "\(log.joined(separator: "\n"))")
        #expect(log.contains { $0.hasPrefix("Task ") && $0.hasSuffix(" is STOPPED") })
        #expect(ok.outputs?["taskArns"]?.arrayValue?.count == 1)

        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "busybox:exit3", "exitCode": 3}"#)
        let (three, _) = try await w.run("ecs.runTask", try payload(w, image: "busybox:exit3", extra: ["waitForCompletion": true]), execution: "r2")
        #expect(three.state == "failed")
        #expect(three.error?.code == "ecs.task_failed")
        #expect(three.error?.message.contains("essential container nginx of task") == true && three.error?.message.contains("exited with code 3") == true, "\(three.error?.message ?? "")")

        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "busybox:broken", "failToStart": true}"#)
        let (broken, _) = try await w.run("ecs.runTask", try payload(w, image: "busybox:broken", extra: ["waitForCompletion": true]), execution: "r3")
        #expect(broken.state == "failed")
        #expect(broken.error?.message.contains("failed to start: CannotPullContainerError") == true, "\(broken.error?.message ?? "")")
    }

    @Test func skippingTheSteadyStateCheckReturnsOnceStarted() async throws {
        let w = try await ECSWorld.start("runtask-skip")
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "busybox:slow", "startDelaySeconds": 6000}"#)
        let (info, log) = try await w.run("ecs.runTask", try payload(w, image: "busybox:slow", extra: ["skipSteadyStateCheck": true]), execution: "s1")
        #expect(info.state == "succeeded", "\(info.error?.message ?? "")")
        #expect(log.contains { $0.hasPrefix("Skipping the steady state check: 1 task(s) started") })
        #expect(!log.contains { $0.hasSuffix("is RUNNING") })
    }

    @Test func aRunTaskRetriedAfterAnInternalErrorStartsItsTasksOnce() async throws {
        let w = try await ECSWorld.start("runtask-retry")
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")
        _ = try await w.sim.control("/_awssim/faults/api", #"{"service": "ecs", "operations": ["RunTask"], "error": "internalAfter", "count": 1}"#)
        var p = try payload(w, image: "busybox:ok")
        p["manifests"]?["runTaskRequest"] = try tutorialManifest("RunTaskRequest.yaml", sim: w.sim) { $0.replacingOccurrences(of: "count: 1", with: "count: 2") }
        let (info, log) = try await w.run("ecs.runTask", p, execution: "t1")
        #expect(info.state == "succeeded", "\(info.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(try await runTaskCount(w) == 2, "the call was retried")
        let faults = try await w.sim.control("/_awssim/faults", method: "GET")
        #expect(String(decoding: faults, as: UTF8.self).contains("\"injected\": 1"), "\(String(decoding: faults, as: UTF8.self))")
        #expect(info.outputs?["taskArns"]?.arrayValue?.count == 2)
        // Running or already finished (busybox:ok exits on its own, and a loaded machine may look late): two in all, not four.
        var all: Set<String> = []
        for status in ["RUNNING", "STOPPED"] {
            let listed = try await w.sim.ecs("ListTasks", ["cluster": w.sim.cluster, "family": "fargate-task-definition", "desiredStatus": status])
            all.formUnion(listed["taskArns"] as? [String] ?? [])
        }
        #expect(all.count == 2, "two tasks, not four: \(all)")
    }
}
