import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// The tutorial's canary flow and Harness's scale step, through a real manager and delegate on the simulator.
@Suite(.serialized) struct CanaryAndScaleIntegrationTests {
    @Test func canaryDeployThenDeleteThenRollingDeploy() async throws {
        let w = try await ECSWorld.start("canary")
        let (first, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "c0")
        #expect(first.state == "succeeded")

        let (canary, log) = try await w.run("ecs.canary.deploy", try deployPayload(sim: w.sim, image: "nginx:stable"), execution: "c1")
        #expect(canary.state == "succeeded", "\(canary.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        let expected = [
            "Creating Task Definition with family fargate-task-definition", "Created Task Definition fargate-task-definition:2 with Arn",
            "Creating Service myappCanary with task definition arn:aws:ecs:us-east-1:123456789012:task-definition/fargate-task-definition:2 and desired count 1",
            "Waiting for pending tasks to finish. 0/1 running ...", "Service myappCanary reached steady state",
            "Created Service myappCanary with Arn", "Deployment Successful.",
        ]
        #expect(inOrder(log, expected) == nil, "\(inOrder(log, expected) ?? "")\n\(log.joined(separator: "\n"))")
        #expect(canary.outputs?["canaryServiceName"] == "myappCanary")
        #expect(canary.rollbackSnapshot?["firstDeployment"] == true)
        let canarySvc = try await w.sim.describeService("myappCanary")
        #expect(canarySvc?["status"] as? String == "ACTIVE" && canarySvc?["desiredCount"] as? Int == 1)
        // The main service is untouched by the canary.
        #expect((try await w.sim.describeService("myapp")?["taskDefinition"] as? String)?.hasSuffix(":1") == true)

        // The delete step takes the deploy step's outputs merged into its payload.
        var deletePayload = canary.outputs ?? [:]
        deletePayload["cluster"] = .string(w.sim.cluster)
        let (deleted, dlog) = try await w.run("ecs.canary.delete", .object(deletePayload), execution: "c1")
        #expect(deleted.state == "succeeded", "\(deleted.error?.message ?? "")")
        #expect(inOrder(dlog, ["Deleting service myappCanary..", "Canary service myappCanary deleted"]) == nil, "\(dlog.joined(separator: "\n"))")
        #expect(try await w.sim.describeService("myappCanary")?["status"] as? String == "INACTIVE")
        // Absent is success.
        let (again, _) = try await w.run("ecs.canary.delete", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "c1")
        #expect(again.state == "succeeded" && again.outputs?["deleted"] == false)
        #expect(try await w.sim.describeService("myapp")?["status"] as? String == "ACTIVE", "serviceName myapp names the canary myappCanary, never the service itself")

        let (rolled, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:stable"), execution: "c1")
        #expect(rolled.state == "succeeded")
        let main = try await w.sim.describeService("myapp")
        #expect((main?["taskDefinition"] as? String)?.hasSuffix(":3") == true)
        #expect(try await w.sim.describeService("myappCanary")?["status"] as? String == "INACTIVE")
    }

    @Test func scaleRecordsTheOldCountAndRollbackRestoresIt() async throws {
        let w = try await ECSWorld.start("scale")
        let (first, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "s0")
        #expect(first.state == "succeeded")
        let before = try await w.sim.describeService("myapp")?["desiredCount"] as? Int

        let (scaled, log) = try await w.run("ecs.service.scale", ["cluster": .string(w.sim.cluster), "serviceName": "myapp", "desiredCount": 3], execution: "s1")
        #expect(scaled.state == "succeeded", "\(scaled.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(inOrder(log, ["Recorded service myapp: desired count \(before ?? -1)", "Updating Service myapp desired count from \(before ?? -1) to 3", "Service myapp reached steady state", "Scaling Successful."]) == nil, "\(log.joined(separator: "\n"))")
        let svc = try await w.sim.describeService("myapp")
        #expect(svc?["desiredCount"] as? Int == 3 && svc?["runningCount"] as? Int == 3)
        #expect(scaled.rollbackSnapshot?["desiredCount"]?.intValue == before)

        for attempt in 1...2 {
            let (rb, rlog) = try await w.run("ecs.service.scale.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "s1")
            #expect(rb.state == "succeeded", "rollback \(attempt): \(rb.error?.message ?? "")\n\(rlog.joined(separator: "\n"))")
            #expect(try await w.sim.describeService("myapp")?["desiredCount"] as? Int == before)
        }
        let (bad, _) = try await w.run("ecs.service.scale", ["cluster": .string(w.sim.cluster), "serviceName": "myapp", "desiredCount": -1], execution: "s2")
        #expect(bad.state == "failed" && bad.error?.code == "invalid_payload")
        #expect(bad.error?.message == "ecs.service.scale: payload member 'desiredCount' must be from 0 to 100000, got -1")
    }
}
