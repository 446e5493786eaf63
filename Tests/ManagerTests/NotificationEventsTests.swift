import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerCore
import Pipelines
import Testing

/// Which execution ends become which notifications: on a live manager (each store), and the phase-to-event table.
@Suite struct NotificationEventsTests {
    /// A one-step plan running `delegate.echo`.
    func plan() throws -> PipelinePlan {
        try JSONValue(parsing: Data(#"""
            {"pipeline": "p", "connector": "aws-none", "timeoutSeconds": 60, "steps": [{"id": "p/echo", "name": "Echo", "type": "delegate.echo", "payload": {}}]}
            """#.utf8)).decode(as: PipelinePlan.self)
    }

    @Test func aFailedStepAndACancelBeforeAnythingRanAreBothQueuedAsRolledBack() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.store.putConnector(Connector(name: "aws-none", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate)), now: Date())
        // Nothing listens on port 9: the deliveries fail and stay listed, which is all this test reads.
        try await m.client.putNotifier(NotifierSpec(name: "all", url: "http://127.0.0.1:9/hook", events: NotificationEvent.allCases))
        let delegate = try await m.register(types: ["delegate.echo"])

        // A step whose task fails: the orchestrator reports the start and the end.
        let failing = try await m.client.startExecution(StartExecutionRequest(plan: try plan()))
        var envelope: TaskEnvelope?
        for _ in 0..<30 where envelope == nil { envelope = try await m.client.nextTask(delegateId: delegate, wait: 2) }
        let task = try #require(envelope)
        try await m.client.sendResult(taskId: task.taskId, TaskResult(leaseId: task.leaseId, status: .failed, error: TaskError(code: "x", message: "boom")))
        // A cancel while the step's task is still queued ends the execution in the request itself: the controller reports it.
        let cancelled = try await m.client.startExecution(StartExecutionRequest(plan: try plan()))
        var queued = false
        for _ in 0..<100 where !queued {
            queued = try await m.client.execution(cancelled.executionId).runs.contains { $0.taskId != nil }
            if !queued { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(try await m.client.cancelExecution(cancelled.executionId).isFinished)

        var events: [String: [NotificationEvent]] = [:]
        for _ in 0..<100 {
            let deliveries = try await m.client.deliveries(limit: 100)
            events = Dictionary(grouping: deliveries, by: \.executionId).mapValues { $0.map(\.event).sorted { $0.rawValue < $1.rawValue } }
            if events[failing.executionId]?.count == 2 && events[cancelled.executionId]?.count == 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(events[failing.executionId] == [.rolledBack, .started], "\(events)")
        #expect(events[cancelled.executionId] == [.rolledBack, .started], "\(events)")
    }

    @Test func eachFinalPhaseHasItsEvent() throws {
        let engine = ExecutionEngine(plan: try plan())
        func event(_ phase: ExecutionEngine.Phase) -> NotificationEvent {
            NotificationText.finished(id: "e", engine: engine, phase: phase, externalURL: "https://m", now: Date()).event
        }
        #expect(event(.succeeded) == .succeeded)
        #expect(event(.rolledBack) == .rolledBack)
        #expect(event(.rollbackFailed) == .failed)
        #expect(event(.aborted) == .failed)
        let waiting = NotificationText.waiting(id: "e 1", engine: engine, externalURL: "https://m/", now: Date())
        #expect(waiting.consoleURL == "https://m/console/executions/e%201", "the id is one encoded path segment")
    }
}
