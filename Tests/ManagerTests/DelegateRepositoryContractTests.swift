import DelegateProtocol
import Foundation
import ManagerCore
import Testing

/// The contract of `DelegateRepository` (delegates and the leases they hold), run against every repository implementation.
@Suite struct DelegateRepositoryContractTests {

    @Test(arguments: repositoryFactories) func reRegistrationKeepsTheIdentity(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let a = try await delegate(store, ["a"], instance: "i-1")
        let b = try await delegate(store, ["a", "b"], instance: "i-1")
        #expect(a.id == b.id)
        #expect(b.tags == ["a", "b"])
    }

    @Test(arguments: repositoryFactories) func leaseHonoursSelectorsTypesAndQueueOrder(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, ["a"])
        let first = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: [:]))
        _ = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["b"], payload: [:]))
        _ = try await store.submit(SubmitTaskRequest(type: "ecs.unknown", selectors: [], payload: [:]))
        let second = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        await #expect(try store.lease(for: d, leaseSeconds: 30)?.taskId == first)
        await #expect(try store.lease(for: d, leaseSeconds: 30)?.taskId == second)
        await #expect(try store.lease(for: d, leaseSeconds: 30) == nil)
    }

    @Test(arguments: repositoryFactories) func aLeaseSaysWhenItsTaskWasSubmitted(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]), id: "t-queued", connector: nil, artifactConnector: nil, now: t0)
        let leased = try await #require(try store.lease(for: d, leaseSeconds: 30, now: t0.addingTimeInterval(7)))
        #expect(leased.envelope.taskId == "t-queued" && leased.queuedAt == t0, "the lease-wait histogram reads the wait from here")
    }

    @Test(arguments: repositoryFactories) func expiredLeasesRequeueUnstartedTasksAndFailStartedOnes(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let now = Date()
        let a = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let b = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let la = try await #require(try store.lease(for: d, leaseSeconds: 5, now: now))
        let lb = try await #require(try store.lease(for: d, leaseSeconds: 5, now: now))
        #expect(la.taskId == a && lb.taskId == b)
        // b reported running by a heartbeat; a never heard of again.
        _ = try await store.renew(delegateId: d.id, running: [RunningTask(taskId: b, leaseId: lb.leaseId)], leaseSeconds: 5, now: now)
        await #expect(try store.expireLeases(now: now.addingTimeInterval(3)).isEmpty)
        let changed = try await store.expireLeases(now: now.addingTimeInterval(60))
        #expect(Set(changed) == [a, b])
        await #expect(try store.task(a)?.state == "queued")
        await #expect(try store.task(b)?.state == "failed")
        await #expect(try store.task(b)?.error?.code == "lease.expired")
    }

    @Test(arguments: repositoryFactories) func reRegistrationRequeuesWhatTheEarlierProcessWasHandedAndNeverStarted(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [], instance: "i-restart")
        let lost = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let held = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let started = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let envelopes = try await (0..<3).asyncMap { _ in try await #require(try await store.lease(for: d, leaseSeconds: 30)) }
        #expect(envelopes.map(\.taskId) == [lost, held, started])
        _ = try await store.renew(delegateId: d.id, running: [RunningTask(taskId: started, leaseId: envelopes[2].leaseId)], leaseSeconds: 30)

        // kill -9, restart on the same state dir: the journal says `held` was begun.
        let again = try await store.register(RegisterRequest(
            name: "d", hostname: "h", version: "1", tags: [], capacity: 2, taskTypes: ["delegate.echo"], instanceId: "i-restart", heldTaskIds: [held]))
        #expect(again.delegateId == d.id)
        #expect(again.requeued == [lost])
        await #expect(try store.task(lost)?.state == "queued")
        await #expect(try store.task(lost)?.delegateId == nil)
        await #expect(try store.task(held)?.state == "leased")
        await #expect(try store.task(started)?.state == "running")
        // The earlier process's view of the delegate is stale: it leases nothing more.
        await #expect(try store.lease(for: d, leaseSeconds: 30) == nil)
        let fresh = try await #require(try store.delegate(d.id))
        #expect(fresh.generation == d.generation + 1)
        await #expect(try store.lease(for: fresh, leaseSeconds: 30)?.taskId == lost)
    }

    @Test(arguments: repositoryFactories) func theFirstRegistrationRequeuesNothing(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let r = try await store.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: ["a.b"], instanceId: "new"))
        #expect(r.requeued.isEmpty)
        await #expect(try store.knownTaskTypes() == ["a.b"])
        try await store.unregister(delegateId: r.delegateId)
        await #expect(try store.knownTaskTypes() == ["a.b"], "an unregistered delegate's types stay known")
    }

    @Test(arguments: repositoryFactories) func delegatesShowAsConnectedDrainingDisconnectedOrUnregistered(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = try await (0..<3).asyncMap { i in
            try await store.register(RegisterRequest(name: "d\(i)", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: ["x.y"], instanceId: "i-\(i)"), now: t0).delegateId
        }
        try await store.touch(delegateId: ids[0], heartbeat: HeartbeatRequest(running: [], freeCapacity: 1, status: "draining"), now: t0)
        try await store.unregister(delegateId: ids[2])
        let now = try await store.delegates(now: t0.addingTimeInterval(1), staleAfter: 30)
        #expect(now.map(\.state) == ["draining", "connected", "unregistered"])
        await #expect(try store.delegates(now: t0.addingTimeInterval(60), staleAfter: 30).map(\.state) == ["disconnected", "disconnected", "unregistered"])
    }

    @Test(arguments: repositoryFactories) func aRestartExtendsLiveLeasesAndCancellationRidesOnHeartbeats(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let leased = try await #require(try store.lease(for: d, leaseSeconds: 5, now: t0))
        try await store.extendLiveLeases(by: 30, now: t0.addingTimeInterval(10))
        await #expect(try store.expireLeases(now: t0.addingTimeInterval(20)).isEmpty, "the lease was extended from the restart")
        await #expect(try store.requestCancel(taskId: id, now: t0) == .requested)
        let (renewed, cancel) = try await store.renew(delegateId: d.id, running: [RunningTask(taskId: id, leaseId: leased.leaseId), RunningTask(taskId: "gone", leaseId: "l")], leaseSeconds: 5, now: t0)
        #expect(renewed == [id] && cancel == [id, "gone"])
        await #expect(try store.task(id)?.state == TaskState.running.rawValue)
    }

    @Test(arguments: repositoryFactories) func aHeartbeatRecordsTheDelegatesStateAndRenewsItsLeasesTogether(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let leased = try await #require(try store.lease(for: d, leaseSeconds: 5, now: t0))
        let hb = HeartbeatRequest(running: [RunningTask(taskId: id, leaseId: leased.leaseId), RunningTask(taskId: "gone", leaseId: "l")], freeCapacity: 1, status: "draining")
        let (renewed, cancel) = try await store.heartbeat(delegateId: d.id, hb, leaseSeconds: 60, now: t0.addingTimeInterval(4))
        #expect(renewed == [id] && cancel == ["gone"])
        let info = try await #require(try store.delegates(now: t0.addingTimeInterval(4), staleAfter: 30).first { $0.delegateId == d.id })
        #expect(info.state == "draining" && info.freeCapacity == 1)
        // Renewed from the heartbeat's time: still live well past the first lease's end.
        await #expect(try store.expireLeases(now: t0.addingTimeInterval(30)).isEmpty)
        await #expect(try store.task(id)?.state == TaskState.running.rawValue)
    }
}
