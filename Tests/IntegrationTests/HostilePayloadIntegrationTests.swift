import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// Payloads that once killed the daemon or fooled it, through a real manager and delegate on the simulator.
@Suite(.serialized) struct HostilePayloadIntegrationTests {
    @Test func theDelegateSurvivesHostilePayloadsAndKeepsServing() async throws {
        let w = try await ECSWorld.start("hostile")
        let pid = w.delegate.child.pid

        // A number where the image string belongs used to trap converting 1e20 to Int64.
        var payload = try deployPayload(sim: w.sim, image: "unused")
        payload["variables"] = ["artifact": ["image": 1e20]]
        let (deployed, log) = try await w.run("ecs.rolling.deploy", payload, execution: "h1")
        #expect(deployed.state == "succeeded", "\(deployed.error?.message ?? "")\n\(log.joined(separator: "\n"))")

        // Rolling back an execution this delegate never ran fails and names what is missing.
        let (missing, _) = try await w.run("ecs.rolling.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp"], execution: "h1-typo")
        #expect(missing.state == "failed")
        #expect(missing.error?.code == "snapshot.missing")
        #expect(missing.error?.message.contains("no rollback snapshot for service myapp in execution h1-typo") == true)
        let svc = try await w.sim.describeService("myapp")
        #expect((svc?["taskDefinition"] as? String)?.hasSuffix(":1") == true, "the service is untouched")

        // A caller that knows the step never ran may say so.
        let (never, _) = try await w.run("ecs.rolling.rollback", ["cluster": .string(w.sim.cluster), "serviceName": "myapp", "stepNeverRan": true], execution: "h2")
        #expect(never.state == "succeeded")
        #expect(never.outputs?["rolledBack"] == false)

        // Still the same process, and it takes the next task.
        #expect(w.delegate.child.isRunning)
        #expect(w.delegate.child.pid == pid)
        let (echo, lines) = try await w.run("delegate.echo", ["count": 2], execution: "h3")
        #expect(echo.state == "succeeded")
        #expect(lines == ["line 1 of 2", "line 2 of 2"])
    }
}
