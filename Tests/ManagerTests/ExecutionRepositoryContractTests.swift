import DelegateProtocol
import Foundation
import ManagerCore
import Pipelines
import Testing

/// The contract of `ExecutionRepository` (executions' engine state, so a restarted manager resumes them), run against every repository implementation.
@Suite struct ExecutionRepositoryContractTests {
    /// A fresh repository from `factory`, as the executions seam.
    func executions(_ factory: RepositoryFactory) async throws -> any ExecutionRepository {
        let store = try await factory.make()
        return try #require(store as? any ExecutionRepository, "\(factory.name) must implement ExecutionRepository")
    }

    /// An engine for a two-step plan named `pipeline`.
    func engine(_ pipeline: String) throws -> ExecutionEngine {
        let plan = try JSONValue(parsing: Data("""
            {"pipeline": "\(pipeline)", "connector": "aws", "timeoutSeconds": 60, "steps": [
              {"id": "\(pipeline)/a", "name": "A", "type": "delegate.echo", "payload": {"count": 1}},
              {"id": "\(pipeline)/b", "name": "B", "type": "delegate.echo", "payload": {"count": 2},
               "rollback": {"name": "Undo B", "type": "delegate.echo", "payload": {}}}]}
            """.utf8)).decode(as: PipelinePlan.self)
        return ExecutionEngine(plan: plan)
    }

    @Test(arguments: repositoryFactories) func executionsAreStoredListedNewestFirstAndActiveUntilOver(_ factory: RepositoryFactory) async throws {
        let repo = try await executions(factory)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try await repo.createExecution(id: "e1", engine: try engine("one"), now: t0)
        try await repo.createExecution(id: "e2", engine: try engine("two"), now: t0.addingTimeInterval(1))
        let first = try await #require(try repo.execution("e1"))
        let expected = try engine("one")
        #expect(first.id == "e1" && first.engine == expected && first.createdAt == t0 && first.finishedAt == nil)
        await #expect(try repo.execution("nope") == nil)
        await #expect(try repo.executions(limit: 10).map(\.id) == ["e2", "e1"])
        await #expect(try repo.executions(limit: 1).map(\.id) == ["e2"])
        await #expect(try repo.activeExecutionIds() == ["e1", "e2"], "oldest first")

        // Step A runs and succeeds: the saved engine is the one read back, still active.
        var e = try engine("one")
        guard case .submit(let a) = e.next() else { Issue.record("the first step is not submitted"); return }
        e.started(key: a.key, taskId: "t-a")
        e.finished(key: a.key, .init(status: .succeeded, outputs: ["lines": 1]))
        try await repo.saveExecution(id: "e1", engine: e, now: t0.addingTimeInterval(5))
        let saved = try await #require(try repo.execution("e1"))
        #expect(saved.engine == e && saved.finishedAt == nil)
        await #expect(try repo.activeExecutionIds() == ["e1", "e2"])

        // Step B fails, its rollback runs: over once the rollback ends; the end time is kept from the first save that ended it.
        guard case .submit(let b) = e.next() else { Issue.record("the second step is not submitted"); return }
        e.started(key: b.key, taskId: "t-b")
        e.finished(key: b.key, .init(status: .failed, rollbackSnapshot: ["serviceName": "x"], error: "boom"))
        guard case .submit(let undo) = e.next() else { Issue.record("the rollback is not submitted"); return }
        e.started(key: undo.key, taskId: "t-undo")
        e.finished(key: undo.key, .init(status: .succeeded))
        #expect(e.phase.isOver)
        try await repo.saveExecution(id: "e1", engine: e, now: t0.addingTimeInterval(9))
        try await repo.saveExecution(id: "e1", engine: e, now: t0.addingTimeInterval(30))
        let over = try await #require(try repo.execution("e1"))
        #expect(over.engine == e && over.finishedAt == t0.addingTimeInterval(9))
        #expect(over.report.runs.map(\.taskId) == ["t-a", "t-b", "t-undo"])
        await #expect(try repo.activeExecutionIds() == ["e2"])
    }

    @Test(arguments: repositoryFactories) func theExecutionLockReturnsWhatItsBodyReturnsAndRethrows(_ factory: RepositoryFactory) async throws {
        let repo = try await executions(factory)
        struct Boom: Error {}
        await #expect(try repo.withExecutionLock("e1") { 42 } == 42)
        await #expect(throws: Boom.self) { try await repo.withExecutionLock("e1") { throw Boom() } }
        // A lock released by a throwing body is free again.
        await #expect(try repo.withExecutionLock("e1") { "again" } == "again")
        await #expect(try repo.withExecutionLockIfFree("e1") { 7 } == 7, "a free lock runs the body")
        await #expect(throws: Boom.self) { _ = try await repo.withExecutionLockIfFree("e1") { throw Boom() } }
    }
}
