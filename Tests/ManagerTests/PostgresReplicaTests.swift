import DelegateProtocol
import Foundation
import Logging
import ManagerCore
import ManagerPostgres
import ManagerSQLite
import Synchronization
import TestSupport
import Testing

/// Two replicas on one PostgreSQL database, each with its own store (own connections): leasing, log ingestion, lease sweeps and wake-ups.
@Suite struct PostgresReplicaTests {
    /// Two stores on one fresh database.
    func replicas() async throws -> (PostgresStore, PostgresStore) {
        let server = try PostgresServer.shared()
        let url = try DatabaseURL(server.url(try server.createDatabase(prefix: "replicas")))
        return (try await PostgresStore(url: url, password: server.password, connections: 4), try await PostgresStore(url: url, password: server.password, connections: 4))
    }

    /// Registers a delegate running `delegate.echo` through `store`.
    func delegate(_ store: PostgresStore, _ name: String) async throws -> DelegateRow {
        let id = try await store.register(RegisterRequest(name: name, hostname: "h", version: "1", tags: ["t"], capacity: 100, taskTypes: ["delegate.echo"], instanceId: name)).delegateId
        return try await #require(try store.delegate(id))
    }

    @Test func eightLeasersOnTwoReplicasHandEveryTaskOutExactlyOnce() async throws {
        let (a, b) = try await replicas()
        let submitted = try await (0..<300).asyncMap { i in try await (i % 2 == 0 ? a : b).submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["T"], payload: [:])) }
        let delegates = try await (0..<8).asyncMap { i in try await delegate(i % 2 == 0 ? a : b, "d\(i)") }
        let leased = Mutex<[String]>([])
        let errors = Mutex<[String]>([])
        await concurrently(8) { i in
            let store = i % 2 == 0 ? a : b
            do {
                while let task = try await store.lease(for: delegates[i], leaseSeconds: 60) {
                    leased.withLock { $0.append(task.taskId) }
                }
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
        }
        #expect(errors.withLock { $0 }.isEmpty)
        let ids = leased.withLock { $0 }
        #expect(ids.count == 300, "every task leased once, none twice")
        #expect(Set(ids) == Set(submitted))
    }

    @Test func batchesOfOneTaskSentToBothReplicasAreStoredExactlyOnce() async throws {
        let (a, b) = try await replicas()
        let d = try await delegate(a, "d")
        let id = try await a.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let leaseId = try await #require(try a.lease(for: d, leaseSeconds: 60)).leaseId
        // Batches of 50, each sent to both replicas at once (a retry after a lost answer, through the other replica).
        await concurrently(2) { i in
            let store = i == 0 ? a : b
            for start in stride(from: Int64(1), through: 1000, by: 50) {
                let lines = (start..<start + 50).map { LogLine(seq: $0, time: Date(), level: "info", unit: "u", text: "line \($0)") }
                _ = try? await store.appendLogs(taskId: id, batch: LogBatch(leaseId: leaseId, lines: lines))
            }
        }
        // A batch the other replica may have refused after a gap is sent again, as the delegate does from its ack.
        var acked = try await #require(try a.task(id)).info.logLines
        while acked < 1000 {
            let lines = ((acked + 1)...min(acked + 50, 1000)).map { LogLine(seq: $0, time: Date(), level: "info", unit: "u", text: "line \($0)") }
            acked = try await b.appendLogs(taskId: id, batch: LogBatch(leaseId: leaseId, lines: lines)).ackedThroughSeq
        }
        let stored = try await a.logs(taskId: id, after: 0, limit: 5000)
        #expect(stored.map(\.seq) == Array(1...1000))
        #expect(stored.map(\.text) == (1...1000).map { "line \($0)" })
    }

    @Test func expiredLeasesAreSweptByOneReplicaAtATimeAndEachOnce() async throws {
        let (a, b) = try await replicas()
        let d = try await delegate(a, "d")
        let now = Date()
        let ids = try await (0..<40).asyncMap { _ in try await a.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:])) }
        for _ in ids { _ = try await a.lease(for: d, leaseSeconds: 5, now: now) }
        let swept = Mutex<[String]>([])
        await concurrently(6) { i in
            let changed = (try? await (i % 2 == 0 ? a : b).expireLeases(now: now.addingTimeInterval(60))) ?? []
            swept.withLock { $0 += changed }
        }
        // A replica that did not get the sweep's lock swept nothing; what one swept, no other did again.
        let all = swept.withLock { $0 }
        #expect(all.count == Set(all).count)
        #expect(Set(all).isSubset(of: Set(ids)))
        _ = try await a.expireLeases(now: now.addingTimeInterval(60))
        #expect(try await ids.asyncAllSatisfy { try await a.task($0)?.info.state == "queued" })
    }

    @Test func leasingFindsTheOneMatchingTaskBehindTenThousandOthersInSQL() async throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase(prefix: "queue")
        let a = try await PostgresStore(url: try DatabaseURL(server.url(database)), password: server.password, connections: 2)
        let d = try await delegate(a, "d")
        // 10,000 queued tasks this delegate may not run (selectors it lacks), then one it may.
        try server.psql("""
            INSERT INTO tasks (id, type, selectors, selector_keys, payload, timeout_seconds, has_sensitive, state, created_at)
            SELECT 'task-other-' || i, 'delegate.echo', ARRAY['gpu'], ARRAY['gpu'], '{}', 60, false, 'queued', 0 FROM generate_series(1, 10000) i
            """, database: database)
        let mine = try await a.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["T"], payload: [:]))
        var micros: [Double] = []
        var leased: [String?] = []
        for _ in 0..<20 {
            let start = ContinuousClock.now
            leased.append(try await a.lease(for: d, leaseSeconds: 60)?.taskId)
            let took = ContinuousClock.now - start
            micros.append(Double(took.components.seconds) * 1e6 + Double(took.components.attoseconds) / 1e12)
        }
        #expect(leased == [mine] + Array(repeating: nil, count: 19), "the one task it may run, then nothing")
        await #expect(try a.task(mine)?.info.delegateId == d.id)
        await #expect(try a.task("task-other-1")?.info.state == "queued")
        micros.sort()
        print("lease with 10,000 non-matching queued tasks ahead: p50 \(Int(micros[9])) µs, max \(Int(micros[19])) µs (20 leases)")
    }

    @Test func aTaskWithInlineSecretsIsHandedOutOnlyThroughTheReplicaHoldingThemWhileItLives() async throws {
        let (a, b) = try await replicas()
        let now = Date()
        let viaA = try await delegate(a, "on-a")
        let viaB = try await delegate(b, "on-b")
        let secret = SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:], secrets: ["pw": "only-in-a's-memory"])
        let id = try await a.submit(secret)
        let plain = try await a.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        // Through B: the plain task, not the one whose secrets only A holds.
        await #expect(try b.lease(for: viaB, leaseSeconds: 60, now: now)?.taskId == plain)
        await #expect(try b.lease(for: viaB, leaseSeconds: 60, now: now) == nil)
        await #expect(try a.lease(for: viaA, leaseSeconds: 60, now: now)?.taskId == id)
        // A task whose holder went away (not seen for 15 s) is handed out anywhere, to fail there with secrets.lost rather than wait forever.
        let orphan = try await b.submit(secret)
        await #expect(try a.lease(for: viaA, leaseSeconds: 60, now: now) == nil)
        _ = try await a.expireLeases(now: now.addingTimeInterval(60))  // A is still seen; B has not been since it started
        await #expect(try a.lease(for: viaA, leaseSeconds: 60, now: now.addingTimeInterval(60))?.taskId == orphan)
    }

    @Test func anExecutionIsChangedByOneReplicaAtATime() async throws {
        let (a, b) = try await replicas()
        let inside = Mutex((now: 0, most: 0, entries: 0))
        await concurrently(4) { i in
            for _ in 0..<25 {
                try? await (i % 2 == 0 ? a : b).withExecutionLock("exe-1") {
                    inside.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.entries += 1 }
                    _ = try await a.executions(limit: 1)  // some work on another connection while holding the lock
                    inside.withLock { $0.now -= 1 }
                }
            }
        }
        #expect(inside.withLock { $0.entries } == 100)
        #expect(inside.withLock { $0.most } == 1, "two replicas were inside one execution's lock at once")
    }

    @Test func aSweepSkipsAnExecutionAnotherReplicaIsChanging() async throws {
        let (a, b) = try await replicas()
        let (entered, inside) = AsyncStream<Void>.makeStream()
        let (released, release) = AsyncStream<Void>.makeStream()
        let holding = Task {
            try await a.withExecutionLock("exe-2") {
                inside.yield()
                var it = released.makeAsyncIterator()
                _ = await it.next()
            }
        }
        var e = entered.makeAsyncIterator()
        _ = await e.next()
        await #expect(try b.withExecutionLockIfFree("exe-2") { 1 } == nil, "B must not wait for A's hold")
        await #expect(try b.withExecutionLockIfFree("exe-3") { 3 } == 3, "another execution is free")
        release.yield()
        try await holding.value
        await #expect(try b.withExecutionLockIfFree("exe-2") { 2 } == 2, "free again once A lets go")
    }

    @Test func aNotifyOnOneReplicaWakesAWaiterParkedOnTheOther() async throws {
        let (a, b) = try await replicas()
        var logger = Logger(label: "bus")
        logger.logLevel = .critical
        let busA = PostgresWakeupBus(store: a, logger: logger)
        let busB = PostgresWakeupBus(store: b, logger: logger)
        let listeners = [Task { try await busA.run() }, Task { try await busB.run() }]
        defer { for l in listeners { l.cancel() } }
        // Until B's listener is up a notification can go unheard: try until one arrives (at most 10 s).
        var heard = false
        for _ in 0..<20 where !heard {
            let ticket = busB.arm(key: "delegate:d1")
            busA.notify(key: "delegate:d1")
            heard = await ticket.wait(timeout: .milliseconds(500))
        }
        #expect(heard)
        // Latency of a wake-up across replicas, printed (not asserted): arm on B, notify on A.
        var micros: [Double] = []
        for i in 0..<100 {
            let ticket = busB.arm(key: "task:\(i)")
            let start = ContinuousClock.now
            busA.notify(key: "task:\(i)")
            #expect(await ticket.wait(timeout: .seconds(5)))
            let d = ContinuousClock.now - start
            micros.append(Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12)
        }
        micros.sort()
        print("cross-replica wake-up over LISTEN/NOTIFY, 100 notifications: p50 \(Int(micros[49])) µs, p99 \(Int(micros[98])) µs, max \(Int(micros[99])) µs")
        // Every delegate's poll wakes for "all delegates".
        let poll = busB.arm(key: "delegate:other")
        busA.notifyAllDelegates()
        #expect(await poll.wait(timeout: .seconds(5)))
    }
}
