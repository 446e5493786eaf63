import DelegateProtocol
import DelegateRuntime
import Testing
import Timing

/// A task's timeout is armed while its handler runs and released when it ends (issue 29), and still fires.
@Suite struct TaskTimeoutTests {
    @Test func finishedTasksLeaveNoTimeoutArmed() async {
        let timers = SleepTimers()
        for i in 0..<100 {
            let outcome = await TaskTimeout.run(seconds: 1800, timers: timers) {
                // The timer child arms its sleep concurrently: wait for it (on a loaded machine it may start after the handler).
                for _ in 0..<5000 where timers.armedCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
                return TaskOutcome(outputs: ["armed": .number(Double(timers.armedCount)), "i": .number(Double(i))])
            }
            guard case .success(let o) = outcome else {
                Issue.record("task \(i) did not succeed: \(outcome)")
                return
            }
            #expect(o.outputs["armed"] == .number(1), "the timeout is armed while the handler runs")
        }
        #expect(timers.armedCount == 0, "a finished task's timeout is released, not left for its 1,800 s")
    }

    @Test func aHandlerThatOutlivesItsTimeoutFailsWithTimeout() async {
        let timers = SleepTimers()
        let outcome = await TaskTimeout.run(seconds: 1, timers: timers) {
            try await Task.sleep(for: .seconds(30))
            return TaskOutcome()
        }
        guard case .failure(let e as TaskError) = outcome else {
            Issue.record("expected a timeout, got \(outcome)")
            return
        }
        #expect(e.code == "timeout")
        #expect(timers.armedCount == 0)
    }

    @Test func aFailingHandlerKeepsItsOwnErrorAndReleasesTheTimeout() async {
        let timers = SleepTimers()
        let outcome = await TaskTimeout.run(seconds: 1800, timers: timers) {
            throw TaskError(code: "echo.exit_status", message: "exit 3")
        }
        guard case .failure(let e as TaskError) = outcome else {
            Issue.record("expected the handler's error, got \(outcome)")
            return
        }
        #expect(e.code == "echo.exit_status")
        #expect(timers.armedCount == 0)
    }
}
