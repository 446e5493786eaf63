import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import ManagerAPI
import ManagerCore
import ManagerHTTP
import ManagerSQLite
import Pipelines
import Synchronization
import Testing

/// The orchestrator does not load and decode every running execution every second (issue 22): only when woken, or every quiet sweep.
@Suite struct OrchestratorLoadTests {
    /// An execution repository that counts how often an execution is loaded.
    final class CountingExecutions: ExecutionRepository {
        let inner: any ExecutionRepository
        let loads = Mutex(0)
        init(_ inner: any ExecutionRepository) { self.inner = inner }

        func createExecution(id: String, engine: ExecutionEngine, now: Date) async throws { try await inner.createExecution(id: id, engine: engine, now: now) }
        func execution(_ id: String) async throws -> StoredExecution? {
            loads.withLock { $0 += 1 }
            return try await inner.execution(id)
        }
        func executions(limit: Int) async throws -> [StoredExecution] { try await inner.executions(limit: limit) }
        func activeExecutionIds() async throws -> [String] { try await inner.activeExecutionIds() }
        func saveExecution(id: String, engine: ExecutionEngine, now: Date) async throws { try await inner.saveExecution(id: id, engine: engine, now: now) }
        func withExecutionLock<T>(_ id: String, _ body: () async throws -> T) async throws -> T { try await inner.withExecutionLock(id, body) }
        func withExecutionLockIfFree<T>(_ id: String, _ body: () async throws -> T) async throws -> T? { try await inner.withExecutionLockIfFree(id, body) }
    }

    @Test func aWaitingExecutionIsNotLoadedWhileNothingHappens() async throws {
        let dir = NSTemporaryDirectory() + "orch-\(UUID().uuidString.prefix(8))"
        let store = try ManagerStore.open(directory: dir)
        let counting = CountingExecutions(store)
        var logger = Logger(label: "orchestrator-load")
        logger.logLevel = .critical
        let server = ManagerServer(storage: ManagerStorage(repository: store, access: store, executions: counting, notifications: store, wakeups: Notifier()), token: "tok", logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run(host: "127.0.0.1", port: 0, handlesSignals: false) { continuation.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        // A delegate that runs the step's type but never polls: the step's task stays queued, the execution waits.
        _ = try await store.putConnector(Connector(name: "aws-none", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate)), now: Date())
        _ = try await store.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: ["delegate.echo"], instanceId: "i"), now: Date())
        let plan = #"{"plan": {"pipeline": "p", "connector": "aws-none", "timeoutSeconds": 60, "steps": [{"id": "p/echo", "name": "Echo", "type": "delegate.echo", "payload": {}}]}}"#
        let http = HTTPClient()
        defer { http.shutdown() }
        let created = try await http.send(HTTPClientRequest(
            method: "POST", url: "http://127.0.0.1:\(port)/v1/executions", headers: [("Authorization", "Bearer tok"), ("Content-Type", "application/json")], body: Data(plan.utf8)))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        // Its step is submitted (loads happen), then nothing changes for three seconds.
        var submitted = false
        for _ in 0..<100 where !submitted {
            submitted = try await store.tasks(limit: 10).contains { $0.info.state == "queued" }
            if !submitted { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(submitted)
        try await Task.sleep(for: .milliseconds(500))
        let before = counting.loads.withLock { $0 }
        try await Task.sleep(for: .seconds(3))
        // Once a second it would be about three; the 10-second quiet sweep may fall in the window once.
        let loads = counting.loads.withLock { $0 } - before
        #expect(loads <= 1, "the waiting execution was loaded \(loads) times in 3 quiet seconds")
    }
}
