import DelegateProtocol
import Foundation
import Manager
import ManagerAPI
import TestSupport
import Testing

/// Makes a fresh, empty repository for one contract test.
struct RepositoryFactory: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () async throws -> any ManagerRepository
    var testDescription: String { name }

    /// The SQLite `ManagerStore` on a scratch file.
    static let sqlite = RepositoryFactory(name: "SQLite") {
        let dir = NSTemporaryDirectory() + "mstore-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try ManagerStore(path: dir + "/m.sqlite")
    }

    /// The PostgreSQL `PostgresStore` on a fresh database of the test process's PostgreSQL server (`PostgresServer.shared`).
    static let postgres = RepositoryFactory(name: "PostgreSQL") {
        let server = try PostgresServer.shared()
        return try await PostgresStore(url: try DatabaseURL(server.url(try server.createDatabase())), password: server.password, connections: 2)
    }
}

/// Every implementation the contract runs against: SQLite and PostgreSQL pass the same tests.
let repositoryFactories: [RepositoryFactory] = [.sqlite, .postgres]

/// Registers a delegate running `delegate.echo` with `tags`; returns its routing facts.
func delegate(_ store: any ManagerRepository, _ tags: [String], instance: String = UUID().uuidString) async throws -> DelegateRow {
    let id = try await store.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: tags, capacity: 2, taskTypes: ["delegate.echo"], instanceId: instance)).delegateId
    return try await #require(try store.delegate(id))
}

/// The contract of `ManagerRepository`, written once against the protocol and run against every implementation.
@Suite struct RepositoryContractTests {

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

    @Test(arguments: repositoryFactories) func logsAreStoredExactlyOnceInOrder(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let env = try await #require(try store.lease(for: d, leaseSeconds: 30))
        func lines(_ r: ClosedRange<Int64>) -> [LogLine] { r.map { LogLine(seq: $0, time: Date(), level: "info", unit: "u", text: "l\($0)") } }
        await #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(1...5))).ackedThroughSeq == 5)
        // A retried batch overlapping what is stored, and one with a gap.
        await #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(3...8))).ackedThroughSeq == 8)
        await #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(11...12))).ackedThroughSeq == 8)
        await #expect(try store.appendLogs(taskId: id, batch: LogBatch(leaseId: env.leaseId, lines: lines(9...12).reversed())).ackedThroughSeq == 12)
        await #expect(try store.logs(taskId: id, after: 0).map(\.seq) == Array(1...12))
        await #expect(throws: LeaseError.wrongLease) {
            try await store.appendLogs(taskId: id, batch: LogBatch(leaseId: "other", lines: lines(13...13)))
        }
    }

    @Test(arguments: repositoryFactories) func resultsAreRepeatSafeAndLeaseChecked(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let env = try await #require(try store.lease(for: d, leaseSeconds: 30))
        let result = TaskResult(leaseId: env.leaseId, status: .succeeded, outputs: ["x": 1])
        await #expect(try store.finish(taskId: id, leaseId: env.leaseId, result: result))
        await #expect(try store.finish(taskId: id, leaseId: env.leaseId, result: result) == false)
        await #expect(throws: LeaseError.wrongLease) { try await store.finish(taskId: id, leaseId: "x", result: result) }
        await #expect(try store.task(id)?.state == "succeeded")
        await #expect(try store.task(id)?.outputs?["x"] == 1)
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

    @Test(arguments: repositoryFactories) func inlineSecretsAreOnlyFlaggedNeverHeld(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:], connector: ["aws": ["region": "x"]], secrets: ["pw": "hunter2-very-secret"]))
        let leased = try await #require(try store.lease(for: d, leaseSeconds: 30))
        #expect(leased.taskId == id && leased.hasInlineSecrets)
        #expect(leased.envelope.secrets.isEmpty && leased.envelope.connector == nil && leased.connector == nil)
    }

    @Test(arguments: repositoryFactories) func cancellingAQueuedTaskEndsIt(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        await #expect(try store.requestCancel(taskId: id) == .cancelled)
        await #expect(try store.task(id)?.state == "cancelled")
        await #expect(try store.requestCancel(taskId: "nope") == .notFound)
    }

    @Test(arguments: repositoryFactories) func cancellingAFinishedTaskSaysItAlreadyFinishedAndHow(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let d = try await delegate(store, [])
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        let env = try await #require(try store.lease(for: d, leaseSeconds: 30))
        await #expect(try store.requestCancel(taskId: id) == .requested)
        try await store.finish(taskId: id, leaseId: env.leaseId, result: TaskResult(leaseId: env.leaseId, status: .succeeded))
        await #expect(try store.requestCancel(taskId: id) == .alreadyFinished(.succeeded))
        await #expect(try store.task(id)?.state == "succeeded")
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

    @Test(arguments: repositoryFactories) func connectorsAreCreatedReplacedListedAndDeleted(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var prod = Connector(name: "aws-prod", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate), delegateSelectors: ["prod"])
        await #expect(try store.putConnector(prod, now: t0))
        await #expect(try store.putConnector(Connector(name: "aws-dev", type: .aws, region: "eu-west-1", credentials: ConnectorCredentials(kind: .delegate)), now: t0))
        prod.region = "us-west-2"
        await #expect(try store.putConnector(prod, now: t0.addingTimeInterval(5)) == false, "a second put replaces")
        let record = try await #require(try store.connector("aws-prod"))
        #expect(record.connector == prod)
        #expect(record.createdAt == t0 && record.updatedAt == t0.addingTimeInterval(5))
        await #expect(try store.connectors().map(\.connector.name) == ["aws-dev", "aws-prod"])
        await #expect(try store.deleteConnector("aws-prod"))
        await #expect(try store.deleteConnector("aws-prod") == false)
        await #expect(try store.connector("aws-prod") == nil)
    }

    @Test(arguments: repositoryFactories) func aTaskKeepsTheConnectorItWasSubmittedWith(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let prod = Connector(name: "aws-prod", type: .aws, region: "us-east-1",
                             credentials: ConnectorCredentials(kind: .static, accessKeyIdSecret: "k", secretAccessKeySecret: "s"), delegateSelectors: ["prod"])
        _ = try await store.putConnector(prod, now: Date())
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["prod"], payload: [:]), connector: prod, now: Date())
        await #expect(try store.task(id)?.connectorName == "aws-prod")
        _ = try await store.deleteConnector("aws-prod")
        await #expect(try store.lease(for: try delegate(store, ["dev"]), leaseSeconds: 30) == nil, "the connector's selectors route the task")
        let leased = try await #require(try store.lease(for: try delegate(store, ["prod"]), leaseSeconds: 30))
        #expect(leased.taskId == id && leased.connector == prod && !leased.hasInlineSecrets)
        #expect(leased.envelope.secrets.isEmpty, "secret values are resolved by the dispatcher, never held by the repository")
    }

    @Test(arguments: repositoryFactories) func aTaskKeepsItsArtifactConnectorBesideItsConnector(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let aws = Connector(name: "aws-dev", type: .aws, region: "us-east-1")
        let registry = Connector(name: "hub", type: .dockerRegistry, url: "https://registry.hub.docker.com", username: "ci", passwordSecret: "hub-pw")
        let id = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]), connector: aws, artifactConnector: registry, now: Date())
        let plain = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]), connector: aws, now: Date())
        let d = try await delegate(store, [])
        let first = try await #require(try store.lease(for: d, leaseSeconds: 30))
        #expect(first.taskId == id && first.connector == aws && first.artifactConnector == registry)
        let second = try await #require(try store.lease(for: d, leaseSeconds: 30))
        #expect(second.taskId == plain && second.artifactConnector == nil)
    }

    @Test(arguments: repositoryFactories) func secretsAreKeptSealedAndListedByNameOnly(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        await #expect(try store.putSecret("b", sealed: Data([1, 2, 3]), now: t0))
        await #expect(try store.putSecret("a", sealed: Data([4]), now: t0))
        await #expect(try store.putSecret("b", sealed: Data([9, 9]), now: t0.addingTimeInterval(1)) == false)
        await #expect(try store.sealedSecret("b") == Data([9, 9]))
        await #expect(try store.sealedSecret("nope") == nil)
        await #expect(try store.secrets() == [SecretInfo(name: "a", createdAt: t0, updatedAt: t0), SecretInfo(name: "b", createdAt: t0, updatedAt: t0.addingTimeInterval(1))])
        await #expect(try store.deleteSecret("a"))
        await #expect(try store.deleteSecret("a") == false)
        await #expect(try store.secrets().map(\.name) == ["b"])
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
