import DelegateProtocol
import Foundation
import Testing

/// A wait whose polls AWS keeps throttling still ends at the step's timeout.
@Suite(.serialized) struct ThrottledWaitIntegrationTests {
    @Test func aDeploymentWhosePollsStayThrottledTimesOut() async throws {
        let w = try await ECSWorld.start("throttled-wait")
        let (first, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "t0")
        #expect(first.state == "succeeded")
        // Slow tasks; once the update is sent, every DescribeServices is throttled.
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:slow", "startDelaySeconds": 6000}"#)
        var payload = try deployPayload(sim: w.sim, image: "nginx:slow")
        payload["steadyStateTimeoutSeconds"] = 5
        let id = try await w.submit("ecs.rolling.deploy", payload, execution: "t1")
        try await eventually(timeout: .seconds(60), "the update was sent") {
            try await allLines(w.client, taskId: id).contains { $0.text.hasPrefix("Updating Service myapp") }
        }
        _ = try await w.sim.control("/_awssim/faults/api", #"{"service": "ecs", "operations": ["DescribeServices"], "error": "throttling"}"#)
        let info = try await finished(w.client, id, timeout: .seconds(90))
        #expect(info.state == "failed")
        #expect(info.error?.code == "ecs.timeout", "\(info.error?.message ?? "")")
        #expect(info.error?.message.contains("stayed throttled") == true, "\(info.error?.message ?? "")")
    }
}
