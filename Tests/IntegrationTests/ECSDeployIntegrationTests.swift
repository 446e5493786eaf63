import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// The tutorial's main path on the simulator: manager, delegate and awssim as real processes.
@Suite(.serialized) struct ECSDeployIntegrationTests {
    @Test(arguments: ["yaml", "json"])
    func tutorialManifestsDeployFirstThenUpdate(format: String) async throws {
        let w = try await ECSWorld.start("deploy-\(format)")
        let (first, log1) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl", format: format), execution: "e1")
        #expect(first.state == "succeeded", "\(first.error?.message ?? "")\n\(log1.joined(separator: "\n"))")
        #expect(inOrder(log1, [
            "Fetching EcsTaskDefinition from Harness File Store", "Successfully fetched following files:", "Fetched all manifests",
            "Service myapp does not exist yet", "Creating Task Definition with family fargate-task-definition",
            "Created Task Definition fargate-task-definition:1 with Arn arn:aws:ecs:us-east-1:123456789012:task-definition/fargate-task-definition:1..",
            "Creating Service myapp with task definition", "Waiting for pending tasks to finish.", "Service myapp reached steady state",
            "Created Service myapp with Arn", "Deployment Successful.",
        ]) == nil, "\(inOrder(log1, []) ?? "")")
        #expect(first.rollbackSnapshot?["firstDeployment"] == true)
        #expect(first.outputs?["serviceName"] == "myapp")

        let (second, log2) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:stable", format: format), execution: "e2")
        #expect(second.state == "succeeded", "\(second.error?.message ?? "")")
        let expected = [
            "Creating Task Definition with family fargate-task-definition", "Created Task Definition fargate-task-definition:2 with Arn",
            "Deleting Scaling Policies from service myapp..", "Didn't find any Scaling Policies attached to service myapp",
            "Deregistering Scalable Targets from service myapp..", "Didn't find any Scalable Targets on service myapp",
            "Updating Service myapp with task definition arn:aws:ecs:us-east-1:123456789012:task-definition/fargate-task-definition:2 and desired count 1",
            "# AWS Event: ", "Waiting for pending tasks to finish. 1/1 running ...", "Waiting for Service myapp to reach steady state",
            "Service myapp reached steady state", "Updated Service myapp with Arn", "Deployment Successful.",
        ]
        #expect(inOrder(log2, expected) == nil, "\(inOrder(log2, expected) ?? "")\n\(log2.joined(separator: "\n"))")
        // Each AWS event exactly once.
        let events = log2.filter { $0.hasPrefix("# AWS Event:") }
        #expect(Set(events).count == events.count)
        #expect(second.rollbackSnapshot?["service"]?["taskDefinition"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/fargate-task-definition:1")
        let svc = try await w.sim.describeService("myapp")
        #expect((svc?["taskDefinition"] as? String)?.hasSuffix(":2") == true)

        // The delegate lists both snapshots on its status socket.
        let snaps = try Child(binDir + "/ecs-delegate", ["snapshots", "--json", "--config", w.delegate.configPath], dir: w.dir, name: "snapshots")
        #expect(await snaps.wait(timeout: .seconds(120)) == 0)
        let entries = try ProtocolV1.decoder().decode([JSONValue].self, from: Data(snaps.stdout.utf8))
        #expect(Set(entries.compactMap { $0["executionId"]?.stringValue }) == ["e1", "e2"])
        #expect(entries.first { $0["executionId"] == "e1" }?["snapshot"]?["firstDeployment"] == true)
    }

    @Test func failingImageFailsWithTheReasonAndRollbackRestoresTwiceSafely() async throws {
        let w = try await ECSWorld.start("fail-rollback")
        let (ok, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "good")
        #expect(ok.state == "succeeded")
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:broken", "failToStart": true}"#)
        var bad = try deployPayload(sim: w.sim, image: "nginx:broken")
        if case .object(var o) = bad { o["steadyStateTimeoutSeconds"] = 8; bad = .object(o) }
        let (failed, log) = try await w.run("ecs.rolling.deploy", bad, execution: "bad")
        #expect(failed.state == "failed")
        #expect(log.contains { $0.contains("stopped: CannotPullContainerError") }, "\(log.joined(separator: "\n"))")
        #expect(failed.error?.message.contains("already changed: registered task definition") == true)
        #expect(failed.rollbackSnapshot?["service"]?["taskDefinition"]?.stringValue?.hasSuffix(":1") == true)

        for attempt in 1...2 {
            let (rb, rlog) = try await w.run("ecs.rolling.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "bad")
            #expect(rb.state == "succeeded", "rollback \(attempt): \(rb.error?.message ?? "")\n\(rlog.joined(separator: "\n"))")
            let svc = try await w.sim.describeService("myapp")
            #expect((svc?["taskDefinition"] as? String)?.hasSuffix(":1") == true)
            #expect(svc?["desiredCount"] as? Int == 1)
        }
    }

    @Test func rollbackOfAFirstDeploymentDeletesTheServiceAndAbsentIsSuccess() async throws {
        let w = try await ECSWorld.start("first-rollback")
        let (ok, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "first")
        #expect(ok.state == "succeeded")
        // The manager's copy of the snapshot is enough: send it with the rollback task.
        let payload: JSONValue = ["cluster": .string(w.sim.cluster), "serviceName": "myapp", "snapshot": ok.rollbackSnapshot ?? .null]
        let (rb, _) = try await w.run("ecs.rolling.rollback", payload, execution: "other-execution")
        #expect(rb.state == "succeeded")
        let status = try await w.sim.describeService("myapp")?["status"] as? String
        #expect(status == "INACTIVE" || status == "DRAINING" || status == nil)
        let (again, againLog) = try await w.run("ecs.rolling.rollback", payload, execution: "other-execution")
        #expect(again.state == "succeeded")
        #expect(againLog.contains("Service myapp does not exist: nothing to delete"))
    }

    @Test func circuitBreakerRollbackIsReportedAsAFailure() async throws {
        let w = try await ECSWorld.start("breaker")
        let breaker: (String) -> String = {
            $0.replacingOccurrences(of: "deploymentConfiguration:\n", with: "deploymentConfiguration:\n  deploymentCircuitBreaker:\n    enable: true\n    rollback: true\n")
        }
        let (ok, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl", editService: breaker), execution: "cb1")
        #expect(ok.state == "succeeded", "\(ok.error?.message ?? "")")
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:broken", "failToStart": true}"#)
        let (bad, log) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:broken", editService: breaker), execution: "cb2")
        #expect(bad.state == "failed", "\(log.joined(separator: "\n"))")
        #expect(bad.error?.code == "ecs.deployment_failed")
        #expect(!log.contains("Deployment Successful."))
    }

    @Test func scalingIsRemovedBeforeTheUpdateAndPresentAfter() async throws {
        let w = try await ECSWorld.start("scaling")
        let (first, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl", scaling: true), execution: "s1")
        #expect(first.state == "succeeded", "\(first.error?.message ?? "")")
        let rid = "service/\(w.sim.cluster)/myapp"
        let targets = try await w.sim.autoScaling("DescribeScalableTargets", ["ServiceNamespace": "ecs", "ResourceIds": [rid]])
        #expect((targets["ScalableTargets"] as? [Any])?.count == 1)
        let (second, log) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:stable", scaling: true), execution: "s2")
        #expect(second.state == "succeeded")
        let expected = ["Deleting Scaling Policies from service myapp..", "Deleted Scaling Policy P1 from service myapp", "Deregistering Scalable Targets from service myapp..",
                        "Deregistered Scalable Target ecs:service:DesiredCount of service myapp", "Updating Service myapp", "Service myapp reached steady state",
                        "Registering Scalable Target for service myapp (min 1, max 3)", "Attaching Scaling Policy P1 to service myapp", "Deployment Successful."]
        #expect(inOrder(log, expected) == nil, "\(inOrder(log, expected) ?? "")")
        let policies = try await w.sim.autoScaling("DescribeScalingPolicies", ["ServiceNamespace": "ecs", "ResourceId": rid])
        #expect((policies["ScalingPolicies"] as? [[String: Any]])?.first?["PolicyName"] as? String == "P1")
        #expect(second.rollbackSnapshot?["scalableTargets"]?.arrayValue?.count == 1)
    }

    @Test func killNineBeforeSteadyStateThenRollbackFromTheSQLiteSnapshot() async throws {
        var w = try await ECSWorld.start("kill-rollback")
        let (ok, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "k1")
        #expect(ok.state == "succeeded")
        // Slow the new tasks down so the kill lands between the snapshot and steady state.
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:slow", "startDelaySeconds": 600}"#)
        let id = try await w.submit("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:slow"), execution: "k2")
        try await eventually(timeout: .seconds(60), "the update was sent") {
            try await allLines(w.client, taskId: id).contains { $0.text.hasPrefix("Updating Service myapp") }
        }
        w.delegate.child.signal(SIGKILL)
        _ = await w.delegate.child.wait(timeout: .seconds(120))
        w.delegate = try DelegateProcess(dir: w.dir, name: "ecs-d", managerURL: w.manager.url, tokenFile: w.manager.tokenFile, tags: ["ecs"])
        let interrupted = try await finished(w.client, id, timeout: .seconds(60))
        #expect(interrupted.state == "failed" && interrupted.error?.code == "interrupted")
        // No snapshot in the payload: the restarted delegate uses the one in its SQLite file.
        let (rb, log) = try await w.run("ecs.rolling.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "k2")
        #expect(rb.state == "succeeded", "\(rb.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(log.contains { $0.hasPrefix("Using the rollback data recorded by this delegate") })
        let svc = try await w.sim.describeService("myapp")
        #expect((svc?["taskDefinition"] as? String)?.hasSuffix(":1") == true)
    }

    @Test(arguments: [
        ("yaml-syntax", "family: [unclosed\n", "RegisterTaskDefinitionRequest.yaml:2:1: syntax error"),
        ("unknown-member", "family: f\ncontainerDefinitions:\n  - name: c\n    imagee: x\n", "unknown member 'imagee'"),
        ("wrong-type", "family: f\ncontainerDefinitions:\n  - name: c\n    image: x\n    memoryReservation: lots\n", "expected an integer from -2147483648 to 2147483647, got 'lots'"),
        ("huge-number", "family: f\ncontainerDefinitions:\n  - name: c\n    image: x\n    memory: 99999999999999999999\n", "RegisterTaskDefinitionRequest.yaml:5:13: containerDefinitions[0].memory: expected an integer from -2147483648 to 2147483647"),
        ("alias-bomb", aliasBomb(), "expands to more than 100000 values"),
        ("unresolved", "family: f\ncontainerDefinitions:\n  - name: c\n    image: <+artifact.tag>\n", "cannot resolve expression '<+artifact.tag>'"),
        ("no-family", "containerDefinitions:\n  - name: c\n    image: x\n", "missing required member 'family'"),
    ])
    func badManifestsFailBeforeAnyAWSChange(name: String, taskDefinition: String, expected: String) async throws {
        let w = try await ECSWorld.start("bad-\(name)")
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")
        let payload = try deployPayload(sim: w.sim, image: "nginx:perl", editTask: { _ in taskDefinition })
        let (info, log) = try await w.run("ecs.rolling.deploy", payload, execution: "bad")
        #expect(info.state == "failed")
        #expect(info.error?.code == "invalid_manifest")
        #expect(log.contains { $0.contains(expected) }, "\(log.joined(separator: "\n"))")
        #expect(try await w.sim.mutatingCalls().isEmpty)
    }
}

/// A 2 KB task definition whose `family` names 10^30 values through nested YAML aliases.
func aliasBomb() -> String {
    var s = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1..<30 { s += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
    return s + "family: *a29\ncontainerDefinitions: []\n"
}
