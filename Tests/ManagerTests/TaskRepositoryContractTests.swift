import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerCore
import Testing

/// The contract of `TaskRepository` (tasks, their results and logs), run against every repository implementation.
@Suite struct TaskRepositoryContractTests {

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

    @Test(arguments: repositoryFactories) func tasksAreCountedByTypeAndState(_ factory: RepositoryFactory) async throws {
        let store = try await factory.make()
        await #expect(try store.taskCounts().isEmpty)
        let d = try await delegate(store, [])
        let first = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        _ = try await store.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        _ = try await store.submit(SubmitTaskRequest(type: "aws.validate", selectors: ["nobody"], payload: [:]))
        let env = try await #require(try store.lease(for: d, leaseSeconds: 30))
        #expect(env.taskId == first)
        _ = try await store.finish(taskId: first, leaseId: env.leaseId, result: TaskResult(leaseId: env.leaseId, status: .succeeded))
        let counts = try await store.taskCounts().sorted { ($0.type, $0.state) < ($1.type, $1.state) }
        #expect(counts == [TaskCount(type: "aws.validate", state: "queued", count: 1), TaskCount(type: "delegate.echo", state: "queued", count: 1),
                           TaskCount(type: "delegate.echo", state: "succeeded", count: 1)], "\(counts)")
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
}
