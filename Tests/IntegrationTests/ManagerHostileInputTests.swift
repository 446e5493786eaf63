import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// `ecs-manager` against what issue 9 found, with real processes: restarts, signals, flags, files.
@Suite(.serialized) struct ManagerHostileInputTests {
    /// Runs `ecs-manager ARGS` to its end (at most 30 s); returns the exit status and the child's output.
    func runManagerCLI(_ args: [String], dir: Scratch, name: String) async throws -> (status: Int32?, child: Child) {
        let child = try Child(binDir + "/ecs-manager", args, dir: dir, name: name)
        return (await child.wait(timeout: .seconds(120)), child)
    }

    @Test func aDelegateRestartedAfterKillNineRunsTheNextTaskWithoutWaitingForTheLease() async throws {
        let dir = try Scratch("restart-lease")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        var delegate: DelegateProcess? = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        let id = try await connectedDelegate(client, name: "d1")
        // Its long poll is parked on the manager when it dies.
        try await Task.sleep(for: .milliseconds(500))
        delegate?.child.signal(SIGKILL)
        _ = await delegate?.child.wait(timeout: .seconds(120))
        delegate = nil
        let restarted = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        let task = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 2])).taskId
        // The lease is 30 s: a task handed to the dead process's poll would only run after it expired.
        let info = try await finished(client, task, timeout: .seconds(15))
        #expect(info.state == "succeeded")
        #expect(info.delegateId == id, "same state dir, same delegate")
        _ = restarted
    }

    @Test func sigtermWithAConnectedDelegateAndAFollowerExitsAtOnceAndSaysSo() async throws {
        let dir = try Scratch("manager-sigterm")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        _ = try await connectedDelegate(client, name: "d1")
        // A task no delegate can take, followed with a long wait: a parked log follow beside the delegate's parked poll.
        let queued = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["nobody"], payload: [:])).taskId
        let follow = Task { try await client.logs(taskId: queued, after: 0, wait: 60) }
        try await Task.sleep(for: .milliseconds(500))
        manager.child?.signal(SIGTERM)
        // Before the fix the manager waited for the 25 s poll and the 60 s follow to run out.
        let status = await manager.child?.wait(timeout: .seconds(120))
        #expect(status == 0, "exit status \(String(describing: status))")
        let output = (manager.child?.stdout ?? "") + (manager.child?.stderr ?? "")
        #expect(output.contains("shutting down"), "\(output)")
        let page = try await follow.value
        #expect(page.state == "queued" && page.lines.isEmpty)
        _ = delegate
    }

    @Test func serveRefusesOutOfRangeFlagsNamingTheFlagAndRange() async throws {
        let dir = try Scratch("manager-flags")
        let token = try dir.write("token", "tok")
        let cases: [([String], String)] = [
            (["--heartbeat-seconds", "1e30"], "--heartbeat-seconds must be from 1 to 300, got 1e+30"),
            (["--heartbeat-seconds", "0"], "--heartbeat-seconds must be from 1 to 300, got 0"),
            (["--lease-seconds=-1"], "--lease-seconds must be from 5 to 3600, got -1"),
            (["--heartbeat-seconds", "20"], "--lease-seconds must be at least twice --heartbeat-seconds (20), got 30"),
            (["--poll-wait-seconds", "500"], "--poll-wait-seconds must be from 1 to 120, got 500"),
            (["--log-flush-millis", "0"], "--log-flush-millis must be from 10 to 60000, got 0"),
            (["--log-batch-max-lines", "0"], "--log-batch-max-lines must be from 1 to 100000, got 0"),
        ]
        for (i, (flags, expected)) in cases.enumerated() {
            let (status, child) = try await runManagerCLI(
                ["serve", "--listen", "127.0.0.1:0", "--data", dir.file("data"), "--token-file", token] + flags, dir: dir, name: "flags-\(i)")
            #expect(status != nil && status != 0, "\(flags) was accepted")
            #expect(child.stderr.contains(expected), "\(flags): \(child.stderr)")
        }
    }

    @Test func startupFailuresSayWhatFailedInPlainWords() async throws {
        let dir = try Scratch("manager-startup")
        let manager = try await ManagerProcess(dir: dir)
        let (procStatus, proc) = try await runManagerCLI(
            ["serve", "--listen", "127.0.0.1:0", "--data", "/proc/x", "--token-file", manager.tokenFile], dir: dir, name: "proc")
        #expect(procStatus != nil && procStatus != 0)
        #expect(proc.stderr.contains("cannot create data directory /proc/x: "), "\(proc.stderr)")
        #expect(!proc.stderr.contains("NSCocoaErrorDomain"), "\(proc.stderr)")

        let (busyStatus, busy) = try await runManagerCLI(
            ["serve", "--listen", "127.0.0.1:\(manager.port)", "--data", dir.file("other"), "--token-file", manager.tokenFile], dir: dir, name: "busy")
        #expect(busyStatus != nil && busyStatus != 0)
        #expect(busy.stderr.contains("cannot listen on 127.0.0.1:\(manager.port): address already in use"), "\(busy.stderr)")

        let (versionStatus, version) = try await runManagerCLI(["--version"], dir: dir, name: "version")
        #expect(versionStatus == 0)
        #expect(version.stdout.hasPrefix("ecs-manager "), "\(version.stdout) \(version.stderr)")
    }

    @Test func aTokenFileOthersCanReadIsAcceptedWithAWarning() async throws {
        let dir = try Scratch("manager-token-mode")
        let manager = try await ManagerProcess(dir: dir)
        chmod(manager.tokenFile, 0o644)
        let (status, tasks) = try await runManagerCLI(["tasks", "--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: "tasks")
        #expect(status == 0, "\(tasks.stderr)")
        #expect(tasks.stderr.contains("warning: token file \(manager.tokenFile) is readable by group or others (mode 0644)"), "\(tasks.stderr)")
        chmod(manager.tokenFile, 0o600)
        let (quietStatus, quiet) = try await runManagerCLI(["tasks", "--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: "tasks-600")
        #expect(quietStatus == 0)
        #expect(!quiet.stderr.contains("warning"), "\(quiet.stderr)")

        // serve reads it the same way: it starts, and warns.
        chmod(manager.tokenFile, 0o640)
        await manager.stop(SIGTERM)
        try await manager.start()
        #expect(manager.child?.stderr.contains("is readable by group or others (mode 0640)") == true, "\(manager.child?.stderr ?? "")")
        _ = try await manager.client().tasks()
    }

    @Test func cancelOfAFinishedTaskSaysItAlreadyFinishedAndHow() async throws {
        let dir = try Scratch("manager-cancel")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        _ = try await connectedDelegate(client, name: "d1")
        let task = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 1])).taskId
        #expect(try await finished(client, task).state == "succeeded")
        let (status, cancel) = try await runManagerCLI(["cancel", task, "--manager", manager.url, "--token-file", manager.tokenFile], dir: dir, name: "cancel")
        #expect(status == 1)
        #expect(cancel.stderr.contains("task \(task) already finished: succeeded"), "\(cancel.stderr)")
        #expect(!cancel.stdout.contains("cancel requested"))
        _ = delegate
    }
}
