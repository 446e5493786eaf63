import DelegateProtocol
import Foundation
import Testing

/// A manager killed with SIGKILL at random moments while it drives run-task executions (issue 22):
/// every execution ends, and each starts exactly one ECS task.
@Suite(.serialized) struct OrchestratorCrashTests {
    @Test func executionsSurviveKillNineAndEachStepRunsOnce() async throws {
        let w = try await PipelineIntegrationTests.World.start("crash-runtask")
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")

        // First the exact moment: the manager dies after queuing the step's task and before saving the execution.
        await w.manager.stop(SIGTERM)
        w.manager.env = ["ECS_MANAGER_TEST_KILL_AFTER_STEP_SUBMITS": "1"]
        try await w.manager.start()
        let first = try w.cli(["run", try w.pipeline("job-crash", strategy: "{type: runTask, waitForCompletion: true}", image: "busybox:ok")], "start-crash")
        #expect(await first.wait(timeout: .seconds(60)) == 0, "\(first.stderr)")
        let crashed = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await eventually(timeout: .seconds(30), "the manager killed itself at the crash point") { !(w.manager.child?.isRunning ?? false) }
        w.manager.env = [:]
        try await w.manager.start()
        try await eventually(timeout: .seconds(120), "the crashed execution ended") {
            guard let (status, body) = try? await rawGet(w.manager, "/v1/executions/\(crashed)"), status == 200 else { return false }
            return (try? JSONValue(parsing: Data(body.utf8)))?["phase"]?.stringValue == "succeeded"
        }
        let afterCrash = ((try await w.sim.calls())["ecs"] as? [String: Any])?["RunTask"] as? Int ?? 0
        #expect(afterCrash == 1, "the step whose save the crash prevented ran \(afterCrash) times")
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")

        // Then kills at random moments.
        let count = 10
        var ids: [String] = []
        var generator = SystemRandomNumberGenerator()
        // Executions start one after another while the manager is killed at random moments and restarted on the same data,
        // so kills land while steps are submitted, run and recorded.
        for i in 0..<count {
            let file = try w.pipeline("job-\(i)", strategy: "{type: runTask, waitForCompletion: true}", image: "busybox:ok")
            var started = false
            for attempt in 0..<5 where !started {
                let cli = try w.cli(["run", file], "start-\(i)-\(attempt)")
                let status = await cli.wait(timeout: .seconds(60))
                let id = cli.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if status == 0, id.hasPrefix("exec-") {
                    ids.append(id)
                    started = true
                }
            }
            #expect(started, "execution \(i) could not be started")
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...600, using: &generator)))
            if i % 2 == 1 {
                await w.manager.stop(SIGKILL)
                try await w.manager.start()
            }
        }
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500, using: &generator)))
            await w.manager.stop(SIGKILL)
            try await w.manager.start()
        }
        var phases: [String: String] = [:]
        try await eventually(timeout: .seconds(240), "every execution ended") {
            for id in ids where phases[id] == nil {
                guard let (status, body) = try? await rawGet(w.manager, "/v1/executions/\(id)"), status == 200, let report = try? JSONValue(parsing: Data(body.utf8)), let phase = report["phase"]?.stringValue else { continue }
                if !["deploying", "rollingBack"].contains(phase) { phases[id] = phase }
            }
            return phases.count == ids.count
        }
        let calls = try await w.sim.calls()
        let runTasks = (calls["ecs"] as? [String: Any])?["RunTask"] as? Int ?? 0
        #expect(runTasks == count, "RunTask was called \(runTasks) times for \(count) executions (phases: \(phases))")
    }
}

/// `GET path` with the manager's admin token: status and body.
func rawGet(_ manager: ManagerProcess, _ path: String) async throws -> (Int, String) {
    let (status, body, _) = try await raw(manager, manager.token, "GET", path)
    return (status, body)
}
