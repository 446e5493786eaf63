import DelegateProtocol
import ECSSteps
import Testing

/// The run-task wait's pure core: DescribeTasks answers in, verdicts and lines out.
@Suite struct RunTaskTrackerTests {
    func task(_ id: String, _ status: String, stopCode: String? = nil, reason: String? = nil, exits: [(String, Int?)] = []) -> JSONValue {
        var t: [String: JSONValue] = ["taskArn": .string("arn:aws:ecs:us-east-1:1:task/c/\(id)"), "lastStatus": .string(status)]
        if let stopCode { t["stopCode"] = .string(stopCode) }
        if let reason { t["stoppedReason"] = .string(reason) }
        t["containers"] = .array(exits.map { name, code in
            var c: [String: JSONValue] = ["name": .string(name)]
            if let code { c["exitCode"] = .number(Double(code)) }
            return .object(c)
        })
        return .object(t)
    }

    @Test func runningIsEnoughUnlessAskedToWaitForCompletion() {
        var t = RunTaskTracker(waitForCompletion: false, essentialContainers: ["app"])
        #expect(t.observe([task("a", "PROVISIONING"), task("b", "PENDING")]) == (.waiting, ["Task a is PROVISIONING", "Task b is PENDING"]))
        #expect(t.observe([task("a", "RUNNING"), task("b", "PENDING")]) == (.waiting, ["Task a is RUNNING"]))
        #expect(t.observe([task("a", "RUNNING"), task("b", "RUNNING")]).0 == .done)
    }

    @Test func completionNeedsEveryEssentialExitCodeZero() {
        var t = RunTaskTracker(waitForCompletion: true, essentialContainers: ["app"])
        #expect(t.observe([task("a", "RUNNING")]).0 == .waiting)
        #expect(t.observe([task("a", "STOPPED", exits: [("app", 0), ("sidecar", 1)])]).0 == .done, "a non-essential container's code does not count")
        var bad = RunTaskTracker(waitForCompletion: true, essentialContainers: ["app"])
        #expect(bad.observe([task("a", "STOPPED", exits: [("app", 3)])]).0 == .failed("essential container app of task a exited with code 3"))
    }

    @Test func aShortTaskWhoseRunningFellBetweenTwoLooksRanAndCounts() {
        var t = RunTaskTracker(waitForCompletion: false, essentialContainers: ["app"])
        #expect(t.observe([task("a", "PENDING"), task("b", "PENDING")]).0 == .waiting)
        // a ran and exited 0 between two looks (e.g. DescribeTasks was throttled): it did reach RUNNING.
        #expect(t.observe([task("a", "STOPPED", reason: "Essential container in task exited", exits: [("app", 0)]), task("b", "PENDING")]).0 == .waiting)
        #expect(t.observe([task("a", "STOPPED", exits: [("app", 0)]), task("b", "RUNNING")]).0 == .done)
        var started = RunTaskTracker(waitForCompletion: false, essentialContainers: [])
        var withStart = task("a", "STOPPED", reason: "Essential container in task exited")
        withStart["startedAt"] = .number(1_800_000_000)
        #expect(started.observe([withStart]).0 == .done)
        var failed = RunTaskTracker(waitForCompletion: false, essentialContainers: ["app"])
        #expect(failed.observe([task("a", "STOPPED", exits: [("app", 2)])]).0 == .failed("essential container app of task a exited with code 2"),
                "a task that ran and failed says so")
    }

    @Test func aTaskThatFailedToStartFailsWithItsReason() {
        var t = RunTaskTracker(waitForCompletion: true, essentialContainers: ["app"])
        let verdict = t.observe([task("a", "STOPPED", stopCode: "TaskFailedToStart", reason: "CannotPullContainerError: not found", exits: [("app", nil)])]).0
        #expect(verdict == .failed("task a failed to start: CannotPullContainerError: not found"))
        var r = RunTaskTracker(waitForCompletion: false, essentialContainers: [])
        #expect(r.observe([task("a", "STOPPED", stopCode: "EssentialContainerExited", reason: "Essential container in task exited")]).0 == .failed("task a stopped before it was running: Essential container in task exited"))
    }
}
