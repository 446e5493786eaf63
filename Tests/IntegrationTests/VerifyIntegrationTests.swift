import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// The verify steps through a real manager and delegate, against the simulator's load balancer (real HTTP on loopback),
/// its target health and its CloudWatch alarms.
@Suite(.serialized) struct VerifyIntegrationTests {
    /// The create step's outputs with `extra` merged in: how a pipeline hands them to the next step.
    func merged(_ outputs: [String: JSONValue]?, _ extra: [String: JSONValue]) -> JSONValue {
        var p = outputs ?? [:]
        for (k, v) in extra { p[k] = v }
        return .object(p)
    }

    /// A `verify.http` payload for the create step's stage URL, connected to the simulator's loopback listener behind it.
    func probeStage(_ w: ECSWorld, _ created: TaskInfo, requests: Int) async throws -> JSONValue {
        let stageUrl = try #require(created.outputs?["stageUrl"]?.stringValue)
        let stageArn = try #require(created.outputs?["stageListenerArn"]?.stringValue)
        let listener = try #require(try await w.sim.listeners().first { $0["listenerArn"] as? String == stageArn })
        let loopback = try #require(URLComponents(string: listener["url"] as? String ?? ""))
        let target = try #require(URLComponents(string: stageUrl))
        let mapping = "\(target.host ?? ""):\(target.port ?? 0):\(loopback.host ?? ""):\(loopback.port ?? 0)"
        return ["url": .string(stageUrl + "/"), "requests": .number(Double(requests)), "intervalSeconds": 0.05, "connectTo": [.string(mapping)]]
    }

    @Test func blueGreenStageIsVerifiedOverHTTPAndByTargetHealthAndAFlakyImageFails() async throws {
        let w = try await ECSWorld.start("verify-bg")
        _ = try await w.sim.control("/_awssim/faults/images", #"{"rules": [{"pattern": "*:flaky", "httpErrorRatio": 0.3}, {"pattern": "*:broken", "httpStatus": 503}]}"#)

        let (created, clog) = try await w.run("ecs.bluegreen.create", try blueGreenCreatePayload(sim: w.sim, image: "nginx:perl"), execution: "v1")
        #expect(created.state == "succeeded", "\(created.error?.message ?? "")\n\(clog.joined(separator: "\n"))")
        // The URLs name the load balancer's DNS name and each listener's port, as the simulator serves them.
        let listeners = try await w.sim.listeners()
        for (output, arnOutput) in [("stageUrl", "stageListenerArn"), ("prodUrl", "prodListenerArn")] {
            let l = listeners.first { $0["listenerArn"] as? String == created.outputs?[arnOutput]?.stringValue }
            let dns = try #require(l?["dnsName"] as? String)
            let port = try #require(l?["port"] as? Int)
            #expect(created.outputs?[output] == .string("http://\(dns.lowercased()):\(port)"), "\(output): \(created.outputs?[output] ?? .null)")
        }
        #expect(created.outputs?["prodUrl"]?.stringValue?.hasSuffix(":80") == true && created.outputs?["stageUrl"]?.stringValue?.hasSuffix(":8080") == true)

        // verify.http through connectTo: the URL is the load balancer's name, the connection the simulator's loopback listener.
        let (probed, plog) = try await w.run("verify.http", try await probeStage(w, created, requests: 10), execution: "v1")
        #expect(probed.state == "succeeded", "\(probed.error?.message ?? "")\n\(plog.joined(separator: "\n"))")
        let verdict = try #require(probed.outputs?["verdict"]?.stringValue)
        #expect(verdict.hasPrefix("10/10 requests answered 200 in "), "\(verdict)")
        #expect(plog.last == verdict, "the verdict is the step's last line")
        #expect(plog.filter { $0.hasPrefix("probe ") }.count == 10)
        #expect(probed.outputs?["passed"] == 10 && probed.outputs?["total"] == 10)

        // verify.targetHealth with the create step's outputs merged in (serviceName is the new service): its target group's targets.
        let (healthy, hlog) = try await w.run("verify.targetHealth", merged(created.outputs, ["stableSeconds": 1, "timeoutSeconds": 120]), execution: "v1")
        #expect(healthy.state == "succeeded", "\(healthy.error?.message ?? "")\n\(hlog.joined(separator: "\n"))")
        #expect(healthy.outputs?["verdict"] == "2/2 targets healthy for 1 s" && hlog.last == "2/2 targets healthy for 1 s", "\(hlog.joined(separator: "\n"))")
        let tgName = String((created.outputs?["stageTargetGroupArn"]?.stringValue ?? "").split(separator: "/").dropLast().last ?? "?")
        #expect(hlog.contains { $0.hasPrefix("Watching the target group(s) of service myapp__1: \(tgName)") }, "\(hlog.joined(separator: "\n"))")
        #expect(hlog.filter { $0.hasSuffix(" in \(tgName): healthy") }.count == 2, "one line per target's change, not per look")

        // The stage service moves to an image whose answers fail 3 times in 10: the probes see exactly that and fail the task.
        let (flaky, flog) = try await w.run("ecs.bluegreen.create", try blueGreenCreatePayload(sim: w.sim, image: "nginx:flaky"), execution: "v2")
        #expect(flaky.state == "succeeded", "\(flaky.error?.message ?? "")\n\(flog.joined(separator: "\n"))")
        let (failed, xlog) = try await w.run("verify.http", try await probeStage(w, flaky, requests: 10), execution: "v2")
        #expect(failed.state == "failed" && failed.error?.code == "VerificationFailed", "\(failed.error?.message ?? "")")
        let message = failed.error?.message ?? ""
        #expect(message.hasPrefix("7/10 requests answered 200-399 in ") && message.hasSuffix(" s (3 answered 500); at least 10 needed"), "\(message)")
        #expect(xlog.last == message && failed.outputs?["verdict"] == .string(message) && failed.outputs?["passed"] == 7)
        #expect(xlog.filter { $0.contains(": 500 in ") && $0.hasSuffix("(expected 200-399)") }.count == 3, "one request per probe, never retried")

        // Targets that answer 503 are unhealthy: the wait gives up at its timeout and names them.
        let (broken, blog) = try await w.run("ecs.bluegreen.create", try blueGreenCreatePayload(sim: w.sim, image: "nginx:broken"), execution: "v3")
        #expect(broken.state == "succeeded", "\(broken.error?.message ?? "")\n\(blog.joined(separator: "\n"))")
        let (unhealthy, ulog) = try await w.run("verify.targetHealth", merged(broken.outputs, ["stableSeconds": 1, "timeoutSeconds": 3]), execution: "v3")
        #expect(unhealthy.state == "failed" && unhealthy.error?.code == "VerificationFailed")
        let why = unhealthy.error?.message ?? ""
        #expect(why.hasPrefix("0/2 targets healthy after 3 s; not healthy: ") && why.contains("(unhealthy (Target.ResponseCodeMismatch"), "\(why)")
        #expect(ulog.last == why && unhealthy.outputs?["total"] == 2 && unhealthy.outputs?["passed"] == 0)
    }

    @Test func alarmsPassWhenQuietAndFailTheMomentOneGoesOff() async throws {
        let w = try await ECSWorld.start("verify-alarms")
        _ = try await w.sim.boto3("""
            cw = s.client("cloudwatch", endpoint_url=sys.argv[1])
            for name in ["app-5xx", "app-latency"]:
                cw.put_metric_alarm(AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
            cw.set_alarm_state(AlarmName="app-latency", StateValue="OK", StateReason="quiet")
            out = True
            """, dir: w.dir)
        let names: JSONValue = ["app-5xx", "app-latency"]

        // OK and INSUFFICIENT_DATA are not alarming: the window passes.
        let (quiet, qlog) = try await w.run("verify.alarms", ["alarmNames": names, "windowSeconds": 2], execution: "a1")
        #expect(quiet.state == "succeeded", "\(quiet.error?.message ?? "")\n\(qlog.joined(separator: "\n"))")
        #expect(quiet.outputs?["verdict"] == "2/2 alarms OK for 2 s" && qlog.last == "2/2 alarms OK for 2 s")
        #expect(qlog.contains { $0.hasPrefix("alarm app-5xx: INSUFFICIENT_DATA") } && qlog.contains("alarm app-latency: OK (quiet)"))

        // An alarm set off while the step watches fails it at once, long before its window ends.
        let started = ContinuousClock.now
        let id = try await w.submit("verify.alarms", ["alarmNames": names, "windowSeconds": 600], execution: "a2")
        try await eventually(timeout: .seconds(60), "the step looked at the alarms") {
            try await allLines(w.client, taskId: id).contains { $0.text == "alarm app-latency: OK (quiet)" }
        }
        _ = try await w.sim.boto3("""
            s.client("cloudwatch", endpoint_url=sys.argv[1]).set_alarm_state(AlarmName="app-5xx", StateValue="ALARM", StateReason="5xx seen in the test")
            out = True
            """, dir: w.dir)
        let alarmed = try await finished(w.client, id, timeout: .seconds(120))
        #expect(alarmed.state == "failed" && alarmed.error?.code == "VerificationFailed")
        let message = alarmed.error?.message ?? ""
        #expect(message.hasPrefix("1/2 alarms OK after ") && message.hasSuffix(" s: app-5xx is in ALARM (5xx seen in the test)"), "\(message)")
        #expect(ContinuousClock.now - started < .seconds(300), "failed at once, not at the end of the 600 s window")
        let alog = try await allLines(w.client, taskId: id).map(\.text)
        #expect(alog.last == message && alog.contains("alarm app-5xx: ALARM (5xx seen in the test)"))

        // A name CloudWatch does not know fails at once.
        let (missing, _) = try await w.run("verify.alarms", ["alarmNames": ["app-5xx", "app-typo"], "windowSeconds": 600], execution: "a3")
        #expect(missing.error?.code == "VerificationFailed" && missing.error?.message.hasSuffix("alarm app-typo does not exist") == true, "\(missing.error?.message ?? "")")
    }
}
