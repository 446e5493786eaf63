import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// The manager behind a loopback TCP proxy the test drives: long polls and log shipping recover
/// from drops, 2 s delays, resets in the middle of an answer and half-open connections.
@Suite(.serialized) struct NetworkFaultIntegrationTests {
    @Test func longPollsAndLogShippingRecoverWithNothingLostDuplicatedOrRunTwice() async throws {
        let dir = try Scratch("network-faults")
        // Short waits, so a connection that never answers is given up within seconds: a 2 s long poll, 2 s beyond it per call,
        // and a lease whose answer was lost expires (unstarted: requeued) after 20 s, longer than any fault here lasts.
        let manager = try await ManagerProcess(dir: dir, extraArgs: ["--poll-wait-seconds", "2", "--heartbeat-seconds", "2", "--lease-seconds", "20"])
        let proxy = try FaultProxy(target: manager.port)
        defer { proxy.stop() }
        let delegate = try DelegateProcess(dir: dir, name: "nf", managerURL: proxy.url, tokenFile: manager.tokenFile, tags: ["nf"], extra: "request_timeout_seconds: 2")
        let client = manager.client()
        _ = try await connectedDelegate(client, name: "nf")

        let faults: [(String, FaultProxy.Mode)] = [("delay 2 s", .delay(.seconds(2))), ("reset mid-response", .resetMidResponse), ("drop", .drop), ("half-open", .halfOpen)]
        var tasks: [(id: String, lines: Int)] = []
        for (name, fault) in faults {
            // One task already shipping logs when the fault starts, one submitted while it lasts.
            let running = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["nf"], payload: ["count": 400, "delayMillis": 5])).taskId
            tasks.append((running, 400))
            try await eventually(timeout: .seconds(30), "\(name): the task ships logs before the fault") { try await client.task(running).logLines > 0 }
            proxy.mode = fault
            tasks.append((try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["nf"], payload: ["count": 50])).taskId, 50))
            try await Task.sleep(for: .seconds(3))
            proxy.mode = .pass
            // Recovery: a task submitted now runs and reports through the proxy again.
            let healed = ContinuousClock.now
            let probe = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["nf"], payload: ["count": 1])).taskId
            tasks.append((probe, 1))
            let info = try await finished(client, probe, timeout: .seconds(60))
            #expect(info.state == "succeeded", "\(name): \(info.error?.message ?? "")")
            print("network-faults: after \(name), a new task finished \(ContinuousClock.now - healed) after the fault ended")
        }
        for (id, n) in tasks {
            let info = try await finished(client, id, timeout: .seconds(60))
            #expect(info.state == "succeeded", "\(id): \(info.error?.code ?? "") \(info.error?.message ?? "")")
            // Every line exactly once, in order: nothing lost, nothing shipped twice, the task not run twice.
            let lines = try await allLines(client, taskId: id)
            let seqs = lines.map(\.seq)
            #expect(seqs == Array(1...Int64(n)), "\(id): \(seqs.count) lines, \(Set(seqs).count) distinct seqs, expected 1...\(n)")
            #expect(lines.map(\.text) == (1...n).map { "line \($0) of \(n)" }, "\(id): texts differ")
            #expect(info.outputs?["lines"] == .number(Double(n)))
        }
        let applied = proxy.applied
        print("network-faults: proxy \(applied.sorted { $0.key < $1.key })")
        for what in ["delay", "reset", "drop", "halfOpen"] {
            #expect(applied[what, default: 0] > 0, "the \(what) fault was never applied: \(applied)")
        }
        #expect(delegate.child.isRunning)
    }
}
