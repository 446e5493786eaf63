import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Pipelines
import Testing
import TestSupport

/// Gates between deployment steps, end to end on each store: real `ecs-manager` and `ecs-delegate` processes, the simulator's load balancers answering HTTP.
@Suite(.serialized) struct GatedPipelineIntegrationTests {
    /// The manager's storage.
    enum Store: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A manager on `store` with a secrets key, a delegate tagged `ecs`, the simulator and a connector to it.
    struct World {
        let dir: Scratch
        let sim: Simulator
        let postgres: PostgresServer?
        let manager: ManagerProcess
        let delegate: DelegateProcess
        let client: ManagerClient
        let http = HTTPClient()

        static func start(_ name: String, _ store: Store) async throws -> World {
            let dir = try Scratch("\(name)-\(store.rawValue)")
            async let sim = Simulator(dir: dir)
            // initdb and pg_ctl are waited for on a thread of their own, not one of the test process's few concurrency threads.
            let postgres = store == .postgres ? try await onOwnThread { try PostgresServer() } : nil
            var database: (url: String, passwordFile: String)?
            if let postgres { database = (url: postgres.url(try await onOwnThread { try postgres.createDatabase(prefix: "gates") }), passwordFile: postgres.passwordFile) }
            let manager = try await ManagerProcess(dir: dir, extraArgs: ["--secrets-key-file", try secretsKeyFile(dir)], database: database)
            let delegate = try DelegateProcess(dir: dir, name: "gate-d", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["ecs"])
            let client = manager.client()
            _ = try await connectedDelegate(client, name: "gate-d")
            let world = World(dir: dir, sim: try await sim, postgres: postgres, manager: manager, delegate: delegate, client: client)
            try await storeConnector("aws-sim", endpoint: world.sim.endpoint, keyId: "AKIDGATES", secret: "gates-secret-value-123", client: client, manager: manager, dir: dir)
            return world
        }

        /// The seed's loopback URL of listener `which` (`prod` or `stage`).
        func listenerURL(_ which: String) throws -> String {
            try #require((sim.seed["listenerUrls"] as? [String: Any])?[which] as? String)
        }

        /// The `connectTo` list that leads the load balancer's DNS name and listener ports to the loopback listeners.
        func connectTo() throws -> String {
            let dns = try #require(sim.seed["loadBalancerDns"] as? String)
            let entries = try [("80", listenerURL("prod")), ("8080", listenerURL("stage"))].map { port, url in
                "\"\(dns):\(port):127.0.0.1:\(try #require(URL(string: url)?.port))\""
            }
            return "[\(entries.joined(separator: ", "))]"
        }

        /// The bodies of `n` requests through the prod listener.
        func prodBodies(_ n: Int = 10) async throws -> [String] {
            var out: [String] = []
            for _ in 0..<n {
                let r = try await http.send(HTTPClientRequest(url: try listenerURL("prod") + "/"))
                out.append("\(r.status) " + String(decoding: r.body, as: UTF8.self))
            }
            return out
        }

        func pipeline(_ name: String, strategy: String, image: String) throws -> String {
            try tutorialPipeline(dir: dir, sim: sim, name: name, connector: "aws-sim", strategy: strategy, image: image)
        }

        func cli(_ args: [String], _ name: String) throws -> Child {
            try Child(binDir + "/ecs-manager", args + ["--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: name)
        }

        func run(_ file: String, _ name: String) async throws -> (Int32?, String, String) {
            try await runPipeline(file, name, manager: manager, dir: dir)
        }

        /// Starts `file` without following; returns the execution id.
        func start(_ file: String, _ name: String) async throws -> String {
            let run = try cli(["run", file], name)
            #expect(await run.wait(timeout: .seconds(120)) == 0, "\(run.stderr)")
            return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Waits until execution `id` is held at an approval; returns its report.
        func held(_ id: String) async throws -> ExecutionReport {
            var report: ExecutionReport?
            try await eventually(timeout: .seconds(180), "execution \(id) waits for an approval") {
                report = try await client.execution(id)
                return report?.phase == .waiting && report?.gate?.kind == .approval
            }
            return try #require(report)
        }

        func stop() async {
            await manager.stop()
            if let postgres { _ = try? await onOwnThread { postgres.stop() } }
        }
    }

    /// A blue/green strategy on the tutorial's load balancer with `gates` (YAML members).
    static func blueGreen(_ gates: String) -> String {
        "{type: blueGreen, loadBalancer: ecs-tutorial-alb, prodListener: '80', stageListener: '8080', \(gates)}"
    }

    @Test(arguments: Store.allCases)
    func aBlueGreenHeldForVerifyAndApproval(_ store: Store) async throws {
        let w = try await World.start("gates-bg", store)
        defer { Task { await w.stop() } }
        let gates = "verify: {requests: 20, intervalSeconds: 0.05, expectStatus: '200', connectTo: \(try w.connectTo())}, approval: {message: 'Swap to the new version?'}"
        let file = try w.pipeline("myapp-bg", strategy: Self.blueGreen(gates), image: "nginx:perl")

        // 1. Verified, held for approval; the manager is killed and restarted during the wait and keeps the deadline; approved, it swaps.
        let id = try await w.start(file, "first")
        let held = try await w.held(id)
        await w.manager.stop(SIGKILL)
        try await w.manager.start()
        let resumed = try await w.client.execution(id)
        #expect(resumed.phase == .waiting && resumed.gate?.deadline == held.gate?.deadline, "the stored deadline survives a kill -9")
        let approve = try w.cli(["approve", id, "--comment", "verified on stage"], "approve")
        #expect(await approve.wait(timeout: .seconds(60)) == 0, "\(approve.stderr)")
        let again = try w.cli(["approve", id], "approve-again")
        #expect(await again.wait(timeout: .seconds(60)) == 1 && again.stderr.contains("already approved"), "\(again.stderr)")
        let watch = try w.cli(["watch", id], "watch")
        #expect(await watch.wait(timeout: .seconds(180)) == 0, "\(watch.stderr)\n\(watch.stdout)")
        let lines = watch.stdout.split(separator: "\n").map(String.init)
        #expect(inOrder(lines, [
            "== Blue Green Create Service ==", "== Verify HTTP ==", "20/20 requests answered 200 in", "== Approval ==", "Waiting for approval until",
            "  approve: ecs-manager approve \(id)", "Approved by", "== Blue Green Swap Target ==", "Swapping Successful.", "Execution \(id) of myapp-bg succeeded",
        ]) == nil, "\(watch.stdout)")
        #expect(try await w.prodBodies().allSatisfy { $0.hasPrefix("200 ") && $0.contains("nginx:perl") })

        // 2. A release whose image runs but answers 500: the verify fails and the create is rolled back; prod still reaches nginx:perl.
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:broken500", "httpStatus": 500}"#)
        let (bad, out, err) = try await w.run(try w.pipeline("myapp-bg", strategy: Self.blueGreen(gates), image: "nginx:broken500"), "broken")
        #expect(bad == 1, "\(err)\n\(out)")
        #expect(inOrder(out.split(separator: "\n").map(String.init), ["== Verify HTTP ==", "0/20 requests answered 200", "== Rollback: Blue Green Rollback ==", "Execution exec-"]) == nil, "\(out)")
        #expect(!out.contains("== Approval =="), "no approval is asked for a release that failed its check")
        #expect(try await w.prodBodies().allSatisfy { $0.hasPrefix("200 ") && $0.contains("nginx:perl") })

        // 3. A release rejected at the approval: rolled back, prod untouched.
        let rejectedId = try await w.start(try w.pipeline("myapp-bg", strategy: Self.blueGreen(gates), image: "nginx:stable"), "third")
        _ = try await w.held(rejectedId)
        let reject = try w.cli(["reject", rejectedId, "--comment", "not during the sale"], "reject")
        #expect(await reject.wait(timeout: .seconds(60)) == 0, "\(reject.stderr)")
        let watchRejected = try w.cli(["watch", rejectedId], "watch-rejected")
        #expect(await watchRejected.wait(timeout: .seconds(180)) == 1, "\(watchRejected.stdout)")
        #expect(watchRejected.stdout.contains("Rejected by") && watchRejected.stdout.contains("== Rollback: Blue Green Rollback =="), "\(watchRejected.stdout)")
        #expect(try await w.prodBodies().allSatisfy { $0.hasPrefix("200 ") && $0.contains("nginx:perl") })
        let audit = try await w.client.audit()
        #expect(audit.contains { $0.action == "execution.approve" && $0.target == id } && audit.contains { $0.action == "execution.reject" && $0.target == rejectedId })
    }

    @Test(arguments: Store.allCases)
    func aTrafficShiftVerifiedBetweenWeightsStopsAtTheFirst(_ store: Store) async throws {
        let w = try await World.start("gates-shift", store)
        defer { Task { await w.stop() } }
        let (first, out1, err1) = try await w.run(try w.pipeline("myapp-bg", strategy: Self.blueGreen("steadyStateTimeoutSeconds: 300"), image: "nginx:perl"), "first")
        #expect(first == 0, "\(err1)\n\(out1)")
        // Three answers in ten are 500 from the new version: its check through the stage listener fails after the 10% shift.
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:flaky", "httpErrorRatio": 0.3}"#)
        let shift = "{type: blueGreenTrafficShift, loadBalancer: ecs-tutorial-alb, prodListener: '80', stageListener: '8080', weights: [10, 50, 100], "
            + "verify: {requests: 20, intervalSeconds: 0.05, connectTo: \(try w.connectTo())}}"
        let (status, out, err) = try await w.run(try w.pipeline("myapp-bg", strategy: shift, image: "nginx:flaky"), "shift")
        #expect(status == 1, "\(err)\n\(out)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(inOrder(lines, ["== Shift Traffic 10% ==", "== Verify HTTP ==", "== Rollback: Blue Green Rollback ==", "Execution exec-"]) == nil, "\(out)")
        #expect(lines.contains { $0.contains("/20 requests answered 200-399") && !untimed($0).hasPrefix("20/20") }, "the verdict counts the 500s: \(out)")
        #expect(!lines.contains("== Shift Traffic 50% =="))
        #expect(try await w.prodBodies(20).allSatisfy { $0.hasPrefix("200 ") && $0.contains("nginx:perl") }, "prod is 100% on the old target group again")
    }

    @Test(arguments: Store.allCases)
    func aCanaryBakeWatchedByAnAlarmAndARetriedCheck(_ store: Store) async throws {
        let w = try await World.start("gates-canary", store)
        defer { Task { await w.stop() } }
        _ = try await w.sim.boto3("""
            cw = s.client("cloudwatch", endpoint_url=sys.argv[1])
            cw.put_metric_alarm(AlarmName="myapp-5xx", MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB", Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
            cw.set_alarm_state(AlarmName="myapp-5xx", StateValue="OK", StateReason="quiet")
            out = {}
            """, dir: w.dir)
        let canary = "{type: canary, bakeSeconds: 600, verify: {kind: alarms, alarmNames: [myapp-5xx]}}"
        let run = try w.cli(["run", try w.pipeline("myapp-canary", strategy: canary, image: "nginx:stable"), "--follow"], "canary")
        try await eventually(timeout: .seconds(180), "the bake watches the alarm") { run.stdout.contains("== Verify Alarms ==") }
        _ = try await w.sim.boto3("""
            s.client("cloudwatch", endpoint_url=sys.argv[1]).set_alarm_state(AlarmName="myapp-5xx", StateValue="ALARM", StateReason="5xx from the canary")
            out = {}
            """, dir: w.dir)
        #expect(await run.wait(timeout: .seconds(180)) == 1, "\(run.stderr)\n\(run.stdout)")
        #expect(inOrder(run.stdout.split(separator: "\n").map(String.init), ["== Canary Deploy ==", "== Verify Alarms ==", "== Rollback: Canary Delete ==", "Execution exec-"]) == nil, "\(run.stdout)")
        #expect(run.stdout.contains("myapp-5xx") && !run.stdout.contains("== Rolling Deploy =="), "\(run.stdout)")
        #expect(try await w.sim.describeService("myappCanary")?["status"] as? String == "INACTIVE")

        // A check that fails is retried and passes once the fault is lifted.
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:warming", "httpStatus": 503}"#)
        let steps = """
            [{type: blueGreenCreate, loadBalancer: ecs-tutorial-alb, prodListener: '80', stageListener: '8080'},
             {type: verify, requests: 5, intervalSeconds: 0.05, connectTo: \(try w.connectTo()), onFailure: {retry: {count: 10, intervalSeconds: 6}}},
             {type: blueGreenSwap}]
            """
        let file = try w.pipeline("myapp-bg", strategy: "{type: blueGreen, loadBalancer: x, prodListener: '1', stageListener: '2'}", image: "nginx:warming")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "strategy: {type: blueGreen, loadBalancer: x, prodListener: '1', stageListener: '2'}", with: "steps: \(steps)").write(toFile: file, atomically: true, encoding: .utf8)
        let id = try await w.start(file, "retry")
        try await eventually(timeout: .seconds(180), "the first check failed") {
            try await w.client.execution(id).runs.contains { $0.name == "Verify HTTP" && $0.status == .failed }
        }
        _ = try await w.sim.control("/_awssim/faults", method: "DELETE")
        let watch = try w.cli(["watch", id], "watch-retry")
        #expect(await watch.wait(timeout: .seconds(180)) == 0, "\(watch.stdout)")
        let report = try await w.client.execution(id)
        #expect(report.runs.filter { $0.name == "Verify HTTP" }.map(\.status).last == .succeeded && report.phase == .succeeded)
    }
}
