import DelegateProtocol
import Foundation
import Manager
import Testing

/// The manager's store on a real SQLite file.
@Suite struct ManagerStoreTests {
    let dir: String
    let store: ManagerStore

    init() throws {
        dir = NSTemporaryDirectory() + "mstore-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try ManagerStore(path: dir + "/m.sqlite")
    }

    func delegate(_ tags: [String], instance: String = UUID().uuidString) throws -> DelegateRow {
        let id = try store.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: tags, capacity: 2, taskTypes: ["delegate.echo"], instanceId: instance)).delegateId
        return try #require(try store.delegate(id))
    }

    @Test func reRegistrationKeepsTheIdentity() throws {
        let a = try delegate(["a"], instance: "i-1")
        let b = try delegate(["a", "b"], instance: "i-1")
        #expect(a.id == b.id)
        #expect(b.tags == ["a", "b"])
    }

    @Test func leaseHonoursSelectorsTypesAndQueueOrder() throws {
        let d = try delegate(["a"])
        let first = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: [:]))
        _ = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["b"], payload: [:]))
        _ = try store.submit(SubmitTaskRequest(type: "ecs.unknown", selectors: [], payload: [:]))
        let second = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        #expect(try store.lease(for: d, leaseSeconds: 30)?.taskId == first)
        #expect(try store.lease(for: d, leaseSeconds: 30)?.taskId == second)
        #expect(try store.lease(for: d, leaseSeconds: 30) == nil)
    }

    @Test func logsAreStoredExactlyOnceInOrder() throws {
        let d = try delegate([])
        let id = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let env = try #require(try store.lease(for: d, leaseSeconds: 30))
        func lines(_ r: ClosedRange<Int64>) -> [LogLine] { r.map { LogLine(seq: $0, time: Date(), level: "info", unit: "u", text: "l\($0)") } }
        #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(1...5))).ackedThroughSeq == 5)
        // A retried batch overlapping what is stored, and one with a gap.
        #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(3...8))).ackedThroughSeq == 8)
        #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(11...12))).ackedThroughSeq == 8)
        #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(9...12).reversed())).ackedThroughSeq == 12)
        #expect(try store.logs(taskId: id, after: 0).map(\.seq) == Array(1...12))
        #expect(throws: ManagerStore.LeaseError.wrongLease) {
            try store.appendLogs(taskId: id, batch: LogBatch(leaseId: "other", lines: lines(13...13)))
        }
    }

    @Test func resultsAreRepeatSafeAndLeaseChecked() throws {
        let d = try delegate([])
        let id = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let env = try #require(try store.lease(for: d, leaseSeconds: 30))
        let result = TaskResult(leaseId: env.leaseId, status: .succeeded, outputs: ["x": 1])
        #expect(try store.finish(taskId: id, leaseId: env.leaseId, result: result))
        #expect(try store.finish(taskId: id, leaseId: env.leaseId, result: result) == false)
        #expect(throws: ManagerStore.LeaseError.wrongLease) { try store.finish(taskId: id, leaseId: "x", result: result) }
        #expect(try store.task(id)?.state == "succeeded")
        #expect(try store.task(id)?.outputs?["x"] == 1)
    }

    @Test func expiredLeasesRequeueUnstartedTasksAndFailStartedOnes() throws {
        let d = try delegate([])
        let now = Date()
        let a = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let b = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let la = try #require(try store.lease(for: d, leaseSeconds: 5, now: now))
        let lb = try #require(try store.lease(for: d, leaseSeconds: 5, now: now))
        #expect(la.taskId == a && lb.taskId == b)
        // b reported running by a heartbeat; a never heard of again.
        _ = try store.renew(delegateId: d.id, running: [RunningTask(taskId: b, leaseId: lb.leaseId)], leaseSeconds: 5, now: now)
        #expect(try store.expireLeases(now: now.addingTimeInterval(3)).isEmpty)
        let changed = try store.expireLeases(now: now.addingTimeInterval(60))
        #expect(Set(changed) == [a, b])
        #expect(try store.task(a)?.state == "queued")
        #expect(try store.task(b)?.state == "failed")
        #expect(try store.task(b)?.error?.code == "lease.expired")
    }

    @Test func secretsStayOutOfSQLite() throws {
        let d = try delegate([])
        let id = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:], secrets: ["pw": "hunter2-very-secret"]))
        let env = try #require(try store.lease(for: d, leaseSeconds: 30))
        #expect(env.taskId == id && env.secrets["pw"] == "hunter2-very-secret")
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file))
            #expect(!String(decoding: data, as: UTF8.self).contains("hunter2-very-secret"), "\(file)")
        }
    }

    @Test func cancellingAQueuedTaskEndsIt() throws {
        let id = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        #expect(try store.requestCancel(taskId: id) == .cancelled)
        #expect(try store.task(id)?.state == "cancelled")
        #expect(try store.requestCancel(taskId: "nope") == .notFound)
    }

    @Test func cancellingAFinishedTaskSaysItAlreadyFinishedAndHow() throws {
        let d = try delegate([])
        let id = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let env = try #require(try store.lease(for: d, leaseSeconds: 30))
        #expect(try store.requestCancel(taskId: id) == .requested)
        try store.finish(taskId: id, leaseId: env.leaseId, result: TaskResult(leaseId: env.leaseId, status: .succeeded))
        #expect(try store.requestCancel(taskId: id) == .alreadyFinished("succeeded"))
        #expect(try store.task(id)?.state == "succeeded")
    }

    @Test func reRegistrationRequeuesWhatTheEarlierProcessWasHandedAndNeverStarted() throws {
        let d = try delegate([], instance: "i-restart")
        let lost = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let held = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let started = try store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let envelopes = try (0..<3).map { _ in try #require(try store.lease(for: d, leaseSeconds: 30)) }
        #expect(envelopes.map(\.taskId) == [lost, held, started])
        _ = try store.renew(delegateId: d.id, running: [RunningTask(taskId: started, leaseId: envelopes[2].leaseId)], leaseSeconds: 30)

        // kill -9, restart on the same state dir: the journal says `held` was begun.
        let again = try store.register(RegisterRequest(
            name: "d", hostname: "h", version: "1", tags: [], capacity: 2, taskTypes: ["delegate.echo"], instanceId: "i-restart", heldTaskIds: [held]))
        #expect(again.delegateId == d.id)
        #expect(again.requeued == [lost])
        #expect(try store.task(lost)?.state == "queued")
        #expect(try store.task(lost)?.delegateId == nil)
        #expect(try store.task(held)?.state == "leased")
        #expect(try store.task(started)?.state == "running")
        // The earlier process's view of the delegate is stale: it leases nothing more.
        #expect(try store.lease(for: d, leaseSeconds: 30) == nil)
        let fresh = try #require(try store.delegate(d.id))
        #expect(fresh.generation == d.generation + 1)
        #expect(try store.lease(for: fresh, leaseSeconds: 30)?.taskId == lost)
    }

    @Test func theFirstRegistrationRequeuesNothing() throws {
        let r = try store.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: ["a.b"], instanceId: "new"))
        #expect(r.requeued.isEmpty)
        #expect(try store.knownTaskTypes() == ["a.b"])
        try store.unregister(delegateId: r.delegateId)
        #expect(try store.knownTaskTypes() == ["a.b"], "an unregistered delegate's types stay known")
    }
}
