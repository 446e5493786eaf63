import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// Blue/green on the simulator's seeded load balancer, checked with boto3 (not with the delegate's own client).
@Suite(.serialized) struct BlueGreenIntegrationTests {
    func createPayload(_ w: ECSWorld, image: String, editTask: (String) -> String = { $0 }, extra: [String: JSONValue] = [:]) throws -> JSONValue {
        try blueGreenCreatePayload(sim: w.sim, image: image, editTask: editTask, extra: extra)
    }

    /// A follow-up step's payload: the create step's outputs merged with the step's own options.
    func followUp(_ outputs: [String: JSONValue]?, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var p = outputs ?? [:]
        for (k, v) in extra { p[k] = v }
        return .object(p)
    }

    /// Where the prod and stage listeners forward, per boto3: `[[tg, weight], ...]` for each.
    func forwarding(_ w: ECSWorld) async throws -> (prod: [String: Int], stage: [String: Int]) {
        let out = try await w.sim.boto3("""
            def fw(arn):
                rule = [r for r in elb.describe_rules(ListenerArn=arn)["Rules"] if r["IsDefault"]][0]
                a = rule["Actions"][0]
                if "ForwardConfig" in a:
                    return {g["TargetGroupArn"]: g.get("Weight", 1) for g in a["ForwardConfig"]["TargetGroups"]}
                return {a["TargetGroupArn"]: 1}
            out = {"prod": fw(seed["prodListenerArn"]), "stage": fw(seed["stageListenerArn"])}
            """, dir: w.dir)
        func dict(_ v: JSONValue?) -> [String: Int] { (v?.objectValue ?? [:]).compactMapValues(\.intValue) }
        return (dict(out["prod"]), dict(out["stage"]))
    }

    func tag(_ svc: [String: Any]?) -> String? {
        (svc?["tags"] as? [[String: Any]])?.first { $0["key"] as? String == "BG_VERSION" }?["value"] as? String
    }

    var tg1: (ECSWorld) -> String { { $0.sim.seed["prodTargetGroupArn"] as? String ?? "" } }
    var tg2: (ECSWorld) -> String { { $0.sim.seed["stageTargetGroupArn"] as? String ?? "" } }

    @Test func threeDeploymentsInARowAlternateSuffixesAndSwapTraffic() async throws {
        let w = try await ECSWorld.start("bg-three")
        var expectedSuffix = "__1"
        for (i, image) in ["nginx:perl", "nginx:stable", "nginx:alpine"].enumerated() {
            let execution = "bg\(i + 1)"
            let (created, log) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: image), execution: execution)
            #expect(created.state == "succeeded", "\(created.error?.message ?? "")\n\(log.joined(separator: "\n"))")
            let newName = "myapp" + expectedSuffix
            #expect(created.outputs?["newServiceName"] == .string(newName))
            #expect(created.outputs?["isFirstDeployment"] == .bool(i == 0))
            #expect(inOrder(log, ["Creating Task Definition with family fargate-task-definition", "Creating Stage Service \(newName) with task definition", "Service \(newName) reached steady state",
                                  "Created Stage Service \(newName) with Arn", "Target Group with Arn: ", "Tag: [BG_VERSION, GREEN] is associated with Stage Service \(newName)"]) == nil
                    || inOrder(log, ["Updating Stage Service \(newName) with task definition", "Updated Stage Service \(newName) with Arn"]) == nil, "\(log.joined(separator: "\n"))")
            #expect(tag(try await w.sim.describeService(newName)) == "GREEN")
            let stageTG = created.outputs?["stageTargetGroupArn"]?.stringValue ?? "?"

            let keepOld = i == 2
            let (swapped, slog) = try await w.run("ecs.bluegreen.swap", followUp(created.outputs, ["doNotDownsizeOldService": .bool(keepOld)]), execution: execution)
            #expect(swapped.state == "succeeded", "\(swapped.error?.message ?? "")\n\(slog.joined(separator: "\n"))")
            #expect(inOrder(slog, ["Modifying ELB Prod Listener to Forward requests to Target group associated with new Service", ",TargetGroup: \(stageTG)",
                                   "Successfully updated Prod Listener", "Modifying ELB Stage Listener", "Successfully updated Stage Listener",
                                   "Updating tag of new service: \(newName)", "Updating service: \(newName) with tag: [BG_VERSION, BLUE]", "Successfully updated tag", "Swapping Successful."]) == nil,
                    "\(slog.joined(separator: "\n"))")
            let (prod, stage) = try await forwarding(w)
            #expect(Array(prod.keys) == [stageTG], "prod forwards to the new service's target group")
            #expect(stage.count == 1 && stage[stageTG] == nil)
            #expect(tag(try await w.sim.describeService(newName)) == "BLUE")
            if i > 0 {
                let old = try await w.sim.describeService(BlueGreenName.other(newName))
                #expect(tag(old) == "GREEN")
                #expect((old?["desiredCount"] as? Int) == (keepOld ? 2 : 0), "the old service is downsized, or untouched when asked")
                #expect(old?["status"] as? String == "ACTIVE", "downsized, not deleted")
            }
            expectedSuffix = expectedSuffix == "__1" ? "__2" : "__1"
        }
        // Two services, never a third.
        let listed = try await w.sim.ecs("ListServices", ["cluster": w.sim.cluster])
        #expect(((listed["serviceArns"] as? [String]) ?? []).filter { $0.contains("myapp__") }.count == 2)
    }

    @Test func rollbackAfterCreateAndAfterSwapPutProdBackOnTheOldVersion() async throws {
        let w = try await ECSWorld.start("bg-rollback")
        let (c1, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:perl"), execution: "base")
        let (s1, _) = try await w.run("ecs.bluegreen.swap", followUp(c1.outputs), execution: "base")
        #expect(c1.state == "succeeded" && s1.state == "succeeded")
        let liveTG = try await forwarding(w).prod

        // Rollback after create: the stage service goes, prod never moved.
        let (c2, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:stable"), execution: "r1")
        #expect(c2.state == "succeeded" && c2.outputs?["newServiceName"] == "myapp__2")
        let (r1, rlog) = try await w.run("ecs.bluegreen.rollback", followUp(c2.outputs), execution: "r1")
        #expect(r1.state == "succeeded", "\(r1.error?.message ?? "")\n\(rlog.joined(separator: "\n"))")
        #expect(try await forwarding(w).prod == liveTG)
        #expect(try await w.sim.describeService("myapp__2")?["status"] as? String == "INACTIVE", "it did not exist before: deleted")
        #expect(try await w.sim.describeService("myapp__1")?["runningCount"] as? Int == 2)

        // Rollback after swap: prod back to the old target group, the old service back at its count.
        let (c3, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:stable"), execution: "r2")
        let (s3, _) = try await w.run("ecs.bluegreen.swap", followUp(c3.outputs), execution: "r2")
        #expect(s3.state == "succeeded")
        #expect(try await forwarding(w).prod != liveTG)
        #expect(try await w.sim.describeService("myapp__1")?["desiredCount"] as? Int == 0)
        for attempt in 1...2 {
            let (r2, r2log) = try await w.run("ecs.bluegreen.rollback", followUp(c3.outputs), execution: "r2")
            #expect(r2.state == "succeeded", "attempt \(attempt): \(r2.error?.message ?? "")\n\(r2log.joined(separator: "\n"))")
            #expect(try await forwarding(w).prod == liveTG)
            let old = try await w.sim.describeService("myapp__1")
            #expect(old?["desiredCount"] as? Int == 2 && old?["runningCount"] as? Int == 2)
            #expect(tag(old) == "BLUE")
        }
    }

    @Test func trafficShiftsInStepsAndRollbackRestoresTheOriginalWeights() async throws {
        let w = try await ECSWorld.start("bg-shift")
        let (c1, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:perl"), execution: "base")
        _ = try await w.run("ecs.bluegreen.swap", followUp(c1.outputs), execution: "base")
        let original = try await forwarding(w).prod
        let (c2, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:stable"), execution: "shift")
        #expect(c2.state == "succeeded")
        let newTG = c2.outputs?["stageTargetGroupArn"]?.stringValue ?? "?"
        let oldTG = c2.outputs?["prodTargetGroupArn"]?.stringValue ?? "?"
        for weight in [10, 50] {
            let (shifted, log) = try await w.run("ecs.bluegreen.shiftTraffic", followUp(c2.outputs, ["weight": .number(Double(weight))]), execution: "shift")
            #expect(shifted.state == "succeeded", "\(shifted.error?.message ?? "")\n\(log.joined(separator: "\n"))")
            #expect(try await forwarding(w).prod == [newTG: weight, oldTG: 100 - weight])
            #expect(log.contains { $0.contains("forwards to: \(newTG) weight \(weight), \(oldTG) weight \(100 - weight)") })
        }
        let (rb, rlog) = try await w.run("ecs.bluegreen.rollback", followUp(c2.outputs), execution: "shift")
        #expect(rb.state == "succeeded", "\(rb.error?.message ?? "")\n\(rlog.joined(separator: "\n"))")
        #expect(try await forwarding(w).prod == original)

        // All the way: at 100 the new service is BLUE.
        let (c3, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:stable"), execution: "full")
        let (full, _) = try await w.run("ecs.bluegreen.shiftTraffic", followUp(c3.outputs, ["weight": 100]), execution: "full")
        #expect(full.state == "succeeded")
        #expect(tag(try await w.sim.describeService(c3.outputs?["newServiceName"]?.stringValue ?? "")) == "BLUE")
    }

    @Test func aTargetGroupPortNoContainerMapsFailsBeforeAnyChange() async throws {
        let w = try await ECSWorld.start("bg-port")
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")
        let payload = try createPayload(w, image: "nginx:perl", editTask: {
            $0.replacingOccurrences(of: "hostPort: 80", with: "hostPort: 8081").replacingOccurrences(of: "containerPort: 80", with: "containerPort: 8081")
        })
        let (info, _) = try await w.run("ecs.bluegreen.create", payload, execution: "port")
        #expect(info.state == "failed")
        #expect(info.error?.message == "No container definition has port mapping that matches the target port: 80 for target group: \(tg2(w))")
        let mutating = try await w.sim.mutatingCalls()
        #expect(mutating.isEmpty, "\(mutating)")
    }

    @Test func killNineDuringCreateThenRollbackFromTheSQLiteSnapshot() async throws {
        var w = try await ECSWorld.start("bg-kill9")
        let (c1, _) = try await w.run("ecs.bluegreen.create", try createPayload(w, image: "nginx:perl"), execution: "base")
        _ = try await w.run("ecs.bluegreen.swap", followUp(c1.outputs), execution: "base")
        let live = try await forwarding(w).prod
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:slow", "startDelaySeconds": 6000}"#)
        let id = try await w.submit("ecs.bluegreen.create", try createPayload(w, image: "nginx:slow"), execution: "k9")
        try await eventually(timeout: .seconds(60), "the stage service was created") {
            try await allLines(w.client, taskId: id).contains { $0.text.hasPrefix("Creating Stage Service myapp__2") }
        }
        w.delegate.child.signal(SIGKILL)
        _ = await w.delegate.child.wait(timeout: .seconds(120))
        w.delegate = try DelegateProcess(dir: w.dir, name: "ecs-d", managerURL: w.manager.url, tokenFile: w.manager.tokenFile, tags: ["ecs"])
        #expect(try await finished(w.client, id, timeout: .seconds(60)).error?.code == "interrupted")
        // Only the execution and the service: the snapshot comes from the restarted delegate's SQLite.
        let (rb, rlog) = try await w.run("ecs.bluegreen.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "k9")
        #expect(rb.state == "succeeded", "\(rb.error?.message ?? "")\n\(rlog.joined(separator: "\n"))")
        #expect(rlog.contains("Using the rollback data recorded by this delegate for execution k9"))
        #expect(try await forwarding(w).prod == live)
        #expect(try await w.sim.describeService("myapp__2")?["status"] as? String != "ACTIVE")
        #expect(try await w.sim.describeService("myapp__1")?["runningCount"] as? Int == 2)
    }
}

/// The other blue/green suffix, for checks.
enum BlueGreenName {
    static func other(_ name: String) -> String { name.hasSuffix("__1") ? String(name.dropLast(3)) + "__2" : String(name.dropLast(3)) + "__1" }
}
