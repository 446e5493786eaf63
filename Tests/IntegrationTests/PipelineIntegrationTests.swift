import AWSCore
import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// Pipelines through `ecs-manager run --follow`: a stored connector and secrets, the tutorial's manifests, the simulator.
@Suite(.serialized) struct PipelineIntegrationTests {
    /// A manager with a secrets key, a delegate tagged `ecs`, the simulator, the keys as secrets and a connector using them.
    struct World {
        let dir: Scratch
        let sim: Simulator
        let manager: ManagerProcess
        var delegate: DelegateProcess
        let client: ManagerClient

        static func start(_ name: String) async throws -> World {
            let dir = try Scratch(name)
            async let sim = Simulator(dir: dir)
            let keyFile = try secretsKeyFile(dir)
            let manager = try await ManagerProcess(dir: dir, extraArgs: ["--secrets-key-file", keyFile])
            let delegate = try DelegateProcess(dir: dir, name: "pipe-d", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["ecs"])
            let client = manager.client()
            _ = try await connectedDelegate(client, name: "pipe-d")
            let world = World(dir: dir, sim: try await sim, manager: manager, delegate: delegate, client: client)
            try await storeConnector("aws-sim", endpoint: world.sim.endpoint, keyId: "AKIDPIPELINE", secret: "pipeline-secret-value-123", client: client, manager: manager, dir: dir)
            return world
        }

        /// Runs `ecs-manager ARGS` against the manager.
        func cli(_ args: [String], _ name: String) throws -> Child {
            try Child(binDir + "/ecs-manager", args + ["--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: name)
        }

        /// A pipeline file for the tutorial's service with `strategy`, the examples' manifests and the simulator's network.
        func pipeline(_ name: String, strategy: String, image: String) throws -> String {
            try tutorialPipeline(dir: dir, sim: sim, name: name, connector: "aws-sim", strategy: strategy, image: image)
        }

        /// `ecs-manager run FILE --follow`: exit status and output.
        func run(_ file: String, _ name: String) async throws -> (Int32?, String, String) {
            try await runPipeline(file, name, manager: manager, dir: dir)
        }
    }

    @Test func rollingThenACanaryWhoseSecondStepFailsIsRolledBackInReverseOrder() async throws {
        let w = try await World.start("pipe-canary")
        let (ok, out, err) = try await w.run(try w.pipeline("myapp-rolling", strategy: "{type: rolling}", image: "nginx:perl"), "run1")
        #expect(ok == 0, "\(err)\n\(out)")
        #expect(inOrder(out.split(separator: "\n").map(String.init), ["== Rolling Deploy ==", "Creating Service myapp", "Deployment Successful.", "Execution exec-"]) == nil, "\(out)")
        #expect(!out.contains("pipeline-secret-value-123") && !err.contains("pipeline-secret-value-123"))
        // Nor in the argv of any process on the machine (the manager, the delegate, the CLI and the simulator are running).
        #expect(try processArgumentsContaining("pipeline-secret-value-123").isEmpty)

        // The canary's delete fails (503s exhaust all of the client's attempts, RetryConfiguration.defaultMaxAttempts); its rollback deletes the canary.
        _ = try await w.sim.control("/_awssim/faults/api", #"{"service": "ecs", "operations": ["DeleteService"], "error": "unavailable", "count": \#(RetryConfiguration.defaultMaxAttempts)}"#)
        let (failed, cout, cerr) = try await w.run(try w.pipeline("myapp-canary", strategy: "{type: canary}", image: "nginx:stable"), "run2")
        #expect(failed == 1, "\(cerr)\n\(cout)")
        let lines = cout.split(separator: "\n").map(String.init)
        #expect(inOrder(lines, ["== Canary Deploy ==", "Creating Service myappCanary", "== Canary Delete ==", "== Rollback: Canary Delete ==", "Canary service myappCanary deleted", "Execution exec-"]) == nil, "\(cout)")
        #expect(!lines.contains("== Rolling Deploy =="), "the third step never ran")
        #expect((try await w.sim.describeService("myapp")?["taskDefinition"] as? String)?.hasSuffix(":1") == true, "the service stays on the previous task definition")
        #expect(try await w.sim.describeService("myappCanary")?["status"] as? String == "INACTIVE")
        #expect(cout.contains("failed and was rolled back: Canary Delete failed"))
    }

    @Test func blueGreenAndRunTaskPipelines() async throws {
        let w = try await World.start("pipe-bg")
        let lb = "{type: blueGreen, loadBalancer: ecs-tutorial-alb, prodListener: '80', stageListener: '8080'}"
        let (bg, out, err) = try await w.run(try w.pipeline("myapp-bg", strategy: lb, image: "nginx:perl"), "bg")
        #expect(bg == 0, "\(err)\n\(out)")
        #expect(inOrder(out.split(separator: "\n").map(String.init), ["== Blue Green Create Service ==", "Creating Stage Service myapp__1", "== Blue Green Swap Target ==", "Swapping Successful."]) == nil, "\(out)")
        let shift = "{type: blueGreenTrafficShift, loadBalancer: ecs-tutorial-alb, prodListener: '80', stageListener: '8080', weights: [10, 100]}"
        let (sh, sout, serr) = try await w.run(try w.pipeline("myapp-bg", strategy: shift, image: "nginx:stable"), "shift")
        #expect(sh == 0, "\(serr)\n\(sout)")
        #expect(inOrder(sout.split(separator: "\n").map(String.init), ["== Blue Green Create Service ==", "Creating Stage Service myapp__2", "== Shift Traffic 10% ==", "== Shift Traffic 100% =="]) == nil, "\(sout)")
        let (rt, rout, rerr) = try await w.run(try w.pipeline("myapp-job", strategy: "{type: runTask, waitForCompletion: true}", image: "busybox:ok"), "job")
        #expect(rt == 0, "\(rerr)\n\(rout)")
        #expect(rout.contains("All tasks completed successfully."))
    }

    @Test func aManualRollbackAndABadPipelineFile() async throws {
        let w = try await World.start("pipe-manual")
        let file = try w.pipeline("myapp-rolling", strategy: "{type: rolling}", image: "nginx:perl")
        let (ok, out, _) = try await w.run(file, "first")
        #expect(ok == 0)
        let (ok2, out2, _) = try await w.run(try w.pipeline("myapp-rolling", strategy: "{type: rolling}", image: "nginx:stable"), "second")
        #expect(ok2 == 0)
        let id = try #require(out2.split(separator: "\n").last { $0.hasPrefix("Execution exec-") }?.split(separator: " ").dropFirst().first.map(String.init))
        let rb = try w.cli(["rollback", id, "--follow"], "rollback")
        #expect(await rb.wait(timeout: .seconds(120)) == 0, "\(rb.stderr)\n\(rb.stdout)")
        #expect(rb.stdout.contains("== Rollback: Rolling Rollback =="))
        #expect((try await w.sim.describeService("myapp")?["taskDefinition"] as? String)?.hasSuffix(":1") == true)
        _ = out

        let bad = try w.dir.write("bad.yaml", "pipeline: x\nconnector: aws-sim\ncluster: c\nmanifests: {}\nstrategy: {type: rollin}\n")
        let (status, _, err) = try await w.run(bad, "bad")
        #expect(status == 2)
        #expect(err.contains("bad.yaml:5:18: strategy.type: unknown strategy 'rollin'"), "\(err)")
    }

    @Test func aManagerRestartedMidExecutionFinishesItWithEveryLineOnce() async throws {
        let w = try await World.start("pipe-restart")
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:slow", "startDelaySeconds": 150}"#)
        let run = try w.cli(["run", try w.pipeline("myapp-rolling", strategy: "{type: rolling}", image: "nginx:slow")], "start")
        #expect(await run.wait(timeout: .seconds(120)) == 0, "\(run.stderr)")
        let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await eventually(timeout: .seconds(60), "the deployment is waiting for its tasks") {
            let tasks = try await w.client.tasks()
            guard let t = tasks.first(where: { $0.executionId == id }) else { return false }
            return try await allLines(w.client, taskId: t.taskId).contains { $0.text.hasPrefix("Creating Service myapp") }
        }
        await w.manager.stop(SIGKILL)
        try await w.manager.start()
        let watch = try w.cli(["watch", id], "watch")
        #expect(await watch.wait(timeout: .seconds(120)) == 0, "\(watch.stderr)\n\(watch.stdout)")
        let lines = watch.stdout.split(separator: "\n").map(String.init)
        #expect(inOrder(lines, ["== Rolling Deploy ==", "Creating Service myapp", "Service myapp reached steady state", "Deployment Successful.", "Execution \(id) of myapp-rolling succeeded"]) == nil, "\(watch.stdout)")
        #expect(lines.filter { untimed($0).hasPrefix("Creating Service myapp") }.count == 1, "every line exactly once")
        // The connector's secret references still resolve after the restart: a second execution runs.
        let (again, out, err) = try await w.run(try w.pipeline("myapp-rolling", strategy: "{type: rolling}", image: "nginx:stable"), "again")
        #expect(again == 0, "\(err)\n\(out)")
    }
}

/// The pids whose command line contains `text` (read from /proc).
func processArgumentsContaining(_ text: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { $0.allSatisfy(\.isNumber) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(text)
    }
}

/// A pipeline file for the tutorial's service with `strategy`, the examples' manifests and the simulator's network.
func tutorialPipeline(dir: Scratch, sim: Simulator, name: String, connector: String, strategy: String, image: String) throws -> String {
    let manifests = repoRoot + "/Config/examples/manifests"
    return try dir.write("\(name).yaml", """
        pipeline: \(name)
        connector: \(connector)
        cluster: \(sim.cluster)
        artifact: {image: "\(image)"}
        manifests:
          taskDefinition: {path: \(manifests)/RegisterTaskDefinitionRequest.yaml}
          serviceDefinition: {path: \(manifests)/\(strategy.contains("blueGreen") ? "BlueGreenCreateServiceRequest" : "CreateServiceRequest").yaml}
          runTaskRequest: {path: \(manifests)/RunTaskRequest.yaml}
        strategy: \(strategy)
        variables:
          aws: {taskRoleArn: "arn:aws:iam::123456789012:role/ecsInstanceRole", securityGroup: \(sim.securityGroup), subnet: \(sim.subnet)}
        timeoutSeconds: 300
        """)
}

/// `ecs-manager run FILE --follow` against `manager`: exit status and output.
func runPipeline(_ file: String, _ name: String, manager: ManagerProcess, dir: Scratch) async throws -> (Int32?, String, String) {
    let child = try Child(binDir + "/ecs-manager", ["run", file, "--follow", "--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: name)
    let status = await child.wait(timeout: .seconds(180))
    return (status, child.stdout, child.stderr)
}

/// Stores `keys` as two secrets and a connector `name` that uses them (the manager needs `--secrets-key-file`).
func storeConnector(_ name: String, endpoint: String, keyId: String, secret: String, client: ManagerClient, manager: ManagerProcess, dir: Scratch) async throws {
    for (secretName, value) in [("\(name)-key-id", keyId), ("\(name)-secret", secret)] {
        _ = try await client.call("PUT", "/v1/secrets/\(secretName)", body: ["value": value], as: JSONValue.self)
    }
    let file = try dir.write("\(name).yaml", """
        name: \(name)
        type: aws
        region: us-east-1
        endpoint: \(endpoint)
        credentials:
          kind: static
          accessKeyIdSecret: \(name)-key-id
          secretAccessKeySecret: \(name)-secret
        delegateSelectors: [ecs]
        """)
    let apply = try Child(binDir + "/ecs-manager", ["connector", "apply", file, "--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: "apply-\(name)")
    guard await apply.wait(timeout: .seconds(120)) == 0 else { throw HarnessError("connector apply failed: \(apply.stderr)") }
}

/// A fresh secrets key file (64 hex characters, mode 0600) in `dir`.
func secretsKeyFile(_ dir: Scratch) throws -> String {
    let path = try dir.write("secrets.key", (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined())
    chmod(path, 0o600)
    return path
}
