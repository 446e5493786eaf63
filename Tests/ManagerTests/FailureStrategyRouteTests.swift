import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import ManagerCore
import ManagerHTTP
import ManagerSQLite
import ManagerAPI
import ManagerClient
import Pipelines
import Testing

/// A step's `onFailure: retry` through a real manager: the failed step's task is submitted again after its pause, and the execution then succeeds.
@Suite struct FailureStrategyRouteTests {
    @Test func aRetriedStepIsSubmittedAgainAfterItsPauseAndTheExecutionSucceeds() async throws {
        let dir = NSTemporaryDirectory() + "retry-\(UUID().uuidString.prefix(8))"
        let store = try ManagerStore.open(directory: dir)
        var logger = Logger(label: "retry")
        logger.logLevel = .critical
        let server = ManagerServer(storage: ManagerStorage(repository: store, access: store, executions: store, notifications: store, wakeups: Notifier()), token: "tok", logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run(host: "127.0.0.1", port: 0, handlesSignals: false) { continuation.yield($0) } }
        defer { serving.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let http = HTTPClient()
        defer { http.shutdown() }
        let client = ManagerClient(baseURL: "http://127.0.0.1:\(port)", token: "tok", http: http)
        _ = try await store.putConnector(Connector(name: "aws-none", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate)), now: Date())
        let delegate = try await client.register(RegisterRequest(name: "d", hostname: "h", version: "1", tags: [], capacity: 1, taskTypes: ["delegate.echo"], instanceId: "i")).delegateId

        let plan = try JSONValue(parsing: Data(#"""
            {"pipeline": "p", "connector": "aws-none", "timeoutSeconds": 60, "steps": [
              {"id": "p/flaky", "name": "Flaky", "type": "delegate.echo", "payload": {}, "onFailure": {"retry": {"count": 2, "intervalSeconds": 1}}}]}
            """#.utf8)).decode(as: PipelinePlan.self)
        let started = try await client.startExecution(StartExecutionRequest(plan: plan))
        // The first attempt fails; the manager waits a second, then submits the step again; the second attempt succeeds.
        var taskIds: [String] = []
        for attempt in 1...2 {
            var envelope: TaskEnvelope?
            for _ in 0..<30 where envelope == nil { envelope = try await client.nextTask(delegateId: delegate, wait: 2) }
            let task = try #require(envelope, "attempt \(attempt) was never handed out")
            taskIds.append(task.taskId)
            let result = attempt == 1
                ? TaskResult(leaseId: task.leaseId, status: .failed, error: TaskError(code: "echo.exit_status", message: "flaky"))
                : TaskResult(leaseId: task.leaseId, status: .succeeded, outputs: ["lines": 0])
            try await client.sendResult(taskId: task.taskId, result)
        }
        var report = try await client.execution(started.executionId)
        for _ in 0..<100 where !report.isFinished {
            try await Task.sleep(for: .milliseconds(100))
            report = try await client.execution(started.executionId)
        }
        #expect(report.phase == .succeeded, "\(report)")
        #expect(report.runs.map(\.taskId) == taskIds && Set(taskIds).count == 2, "each attempt is its own task")
        #expect(report.runs.map(\.status) == [.failed, .succeeded])
    }
}
