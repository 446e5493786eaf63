import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// Twenty deployments of mixed strategies through one delegate while the simulator throttles 20 % and fails 5 %
/// of every ECS, ELB and Application Auto Scaling call, and blackholes the endpoint for 15 s once.
@Suite(.serialized) struct ChaosIntegrationTests {
    /// One deployment of the mix.
    enum Kind: String { case rolling, canary, blueGreen, runTask, scale }

    @Test func twentyMixedDeploymentsSucceedUnderThrottlingErrorsAndABlackhole() async throws {
        let w = try await ECSWorld.start("chaos")
        let blueGreen = BlueGreenIntegrationTests()
        let runTask = RunTaskIntegrationTests()
        let began = ContinuousClock.now
        let plan: [Kind] = [.rolling, .runTask, .canary, .blueGreen, .scale, .rolling, .runTask, .rolling, .canary, .blueGreen,
                            .runTask, .rolling, .scale, .rolling, .runTask, .canary, .blueGreen, .rolling, .runTask, .rolling]
        #expect(plan.count == 20)
        var rules: [String] = []
        for service in ["ecs", "elasticloadbalancing", "application-autoscaling"] {
            rules.append(#"{"service": "\#(service)", "error": "throttling", "rate": 0.2}"#)
            rules.append(#"{"service": "\#(service)", "error": "internal", "rate": 0.05}"#)
        }
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")
        // STOPPED tasks vanish after an hour of ECS time, 72 s at this time scale: keep them for the RunTask count at the end.
        _ = try await w.sim.control("/_awssim/config", #"{"stoppedTaskTtlSeconds": 1000000}"#)
        _ = try await w.sim.control("/_awssim/faults/api", #"{"rules": [\#(rules.joined(separator: ", "))]}"#)

        var registering = 0
        var runTaskArns: [String] = []
        var blackhole: Task<Void, Error>?
        for (i, kind) in plan.enumerated() {
            let execution = "chaos-\(i + 1)-\(kind.rawValue)"
            let image = "nginx:v\(i + 1)"
            if i == 7 {
                // The endpoint goes dark for 15 s while the next deployments run.
                blackhole = Task { _ = try await w.sim.control("/_awssim/faults/blackhole", #"{"seconds": 15}"#) }
            }
            func run(_ type: String, _ payload: JSONValue) async throws -> TaskInfo {
                let (info, log) = try await w.run(type, payload, execution: execution, timeout: .seconds(120))
                #expect(info.state == "succeeded", "\(execution) \(type): \(info.error?.code ?? "") \(info.error?.message ?? "")\n\(log.suffix(30).joined(separator: "\n"))")
                return info
            }
            switch kind {
            case .rolling:
                registering += 1
                _ = try await run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: image, scaling: true))
            case .canary:
                registering += 1
                let deployed = try await run("ecs.canary.deploy", try deployPayload(sim: w.sim, image: image))
                var delete = deployed.outputs ?? [:]
                delete["cluster"] = .string(w.sim.cluster)
                _ = try await run("ecs.canary.delete", .object(delete))
            case .blueGreen:
                registering += 1
                let created = try await run("ecs.bluegreen.create", try blueGreen.createPayload(w, image: image))
                _ = try await run("ecs.bluegreen.swap", blueGreen.followUp(created.outputs))
            case .runTask:
                registering += 1
                let ran = try await run("ecs.runTask", try runTask.payload(w, image: "busybox:ok", extra: ["waitForCompletion": true]))
                runTaskArns += ran.outputs?["taskArns"]?.arrayValue?.compactMap(\.stringValue) ?? []
            case .scale:
                _ = try await run("ecs.service.scale", ["cluster": .string(w.sim.cluster), "serviceName": "myapp", "desiredCount": .number(Double(2 + i % 2))])
            }
        }
        _ = try await blackhole?.value
        let faults = String(decoding: try await w.sim.control("/_awssim/faults", method: "GET"), as: UTF8.self)
        _ = try await w.sim.control("/_awssim/faults", method: "DELETE")
        print("chaos: 20 deployments in \(ContinuousClock.now - began); faults: \(faults)")

        // One task-definition revision per deployment that registers one.
        let revisions = try await w.sim.ecs("ListTaskDefinitions", ["familyPrefix": "fargate-task-definition"])
        #expect((revisions["taskDefinitionArns"] as? [String])?.count == registering, "\(revisions)")
        // No duplicate service: each name once among the cluster's services.
        let services = try await w.sim.ecs("ListServices", ["cluster": w.sim.cluster])
        let names = (services["serviceArns"] as? [String] ?? []).map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        #expect(Set(names).count == names.count, "\(names)")
        #expect(names.contains("myapp"))
        #expect(!names.contains("myappCanary"), "every canary was deleted: \(names)")
        // No task started twice by RunTask: as many tasks of the run-task group as the steps reported.
        #expect(runTaskArns.count == plan.filter { $0 == .runTask }.count, "\(runTaskArns)")
        // ListTasks pages by position while the services' tasks keep changing state, so one pass can skip a task:
        // the union of a few passes holds every task there is (and listing never invents one).
        var started: Set<String> = []
        for _ in 0..<5 {
            started.formUnion(try await runTaskTasks(w.sim))
            if started.isSuperset(of: runTaskArns) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let unlisted = Set(runTaskArns).subtracting(started)
        let unlistedDetail = unlisted.isEmpty ? [:] : try await w.sim.ecs("DescribeTasks", ["cluster": w.sim.cluster, "tasks": Array(unlisted)])
        #expect(started.sorted() == runTaskArns.sorted(), "RunTask started \(started.count) tasks, the steps reported \(runTaskArns.count); reported but not listed: \(unlistedDetail)")
        // Every scalable target and policy of the rolling deployments reattached.
        let targets = try await w.sim.autoScaling("DescribeScalableTargets", ["ServiceNamespace": "ecs", "ResourceIds": ["service/\(w.sim.cluster)/myapp"]])
        #expect((targets["ScalableTargets"] as? [[String: Any]])?.count == 1, "\(targets)")
        let policies = try await w.sim.autoScaling("DescribeScalingPolicies", ["ServiceNamespace": "ecs", "ResourceId": "service/\(w.sim.cluster)/myapp"])
        #expect((policies["ScalingPolicies"] as? [[String: Any]])?.count == 1, "\(policies)")
    }
}

/// Every task RunTask started in the cluster (group `family:...`), running or stopped.
func runTaskTasks(_ sim: Simulator) async throws -> [String] {
    var arns: [String] = []
    for status in ["RUNNING", "STOPPED"] {
        var token: String?
        repeat {
            var input: [String: Any] = ["cluster": sim.cluster, "desiredStatus": status, "maxResults": 100]
            if let token { input["nextToken"] = token }
            let page = try await sim.ecs("ListTasks", input)
            arns += page["taskArns"] as? [String] ?? []
            token = page["nextToken"] as? String
        } while token != nil
    }
    var out: [String] = []
    for start in stride(from: 0, to: arns.count, by: 100) {
        let described = try await sim.ecs("DescribeTasks", ["cluster": sim.cluster, "tasks": Array(arns[start..<min(start + 100, arns.count)])])
        for t in described["tasks"] as? [[String: Any]] ?? [] where (t["group"] as? String)?.hasPrefix("family:") == true {
            if let arn = t["taskArn"] as? String { out.append(arn) }
        }
    }
    return out
}
