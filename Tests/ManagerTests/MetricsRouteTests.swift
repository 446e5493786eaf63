import DelegateProtocol
import Foundation
import HTTPClient
import ManagerAPI
import ManagerCore
@testable import ManagerHTTP
import Pipelines
import Testing

/// `GET /metrics`: any valid key reads the manager's series; what it counts follows what the manager did.
@Suite struct MetricsRouteTests {
    /// The value of the series named exactly `series` (with its labels), or nil.
    func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    @Test func aKeyReadsTasksQueueDelegatesRequestsAndExecutions() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let anonymous = try await m.http.send(HTTPClientRequest(url: m.url + "/metrics"))
        #expect(anonymous.status == 401, "metrics on the API listener need a key")

        _ = try await m.store.putConnector(Connector(name: "aws-none", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate)), now: Date())
        let delegate = try await m.register(types: ["delegate.echo"])
        _ = try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["nobody"], payload: [:]))
        let plan = try JSONValue(parsing: Data(#"""
            {"pipeline": "p", "connector": "aws-none", "timeoutSeconds": 60, "steps": [{"id": "p/echo", "name": "Echo", "type": "delegate.echo", "payload": {}},
             {"id": "p/echo2", "name": "Echo again", "type": "delegate.echo", "payload": {}}]}
            """#.utf8)).decode(as: PipelinePlan.self)
        let started = try await m.client.startExecution(StartExecutionRequest(plan: plan))
        for _ in 0..<2 {
            var envelope: TaskEnvelope?
            for _ in 0..<30 where envelope == nil { envelope = try await m.client.nextTask(delegateId: delegate, wait: 2) }
            let task = try #require(envelope)
            try await m.client.sendResult(taskId: task.taskId, TaskResult(leaseId: task.leaseId, status: .succeeded))
        }
        var report = try await m.client.execution(started.executionId)
        for _ in 0..<100 where !report.isFinished {
            try await Task.sleep(for: .milliseconds(100))
            report = try await m.client.execution(started.executionId)
        }
        #expect(report.phase == .succeeded)

        let text = try await m.client.metrics()
        #expect(value(text, #"ecs_manager_tasks{type="delegate.echo",state="queued"}"#) == "1.0", "\(text)")
        #expect(value(text, #"ecs_manager_tasks{type="delegate.echo",state="succeeded"}"#) == "2.0", "\(text)")
        // Both steps' tasks were leased; the second was submitted after the first ended (one dispatch delay).
        #expect(value(text, #"ecs_manager_lease_wait_seconds_count{type="delegate.echo"}"#) == "2", "\(text)")
        #expect(value(text, #"ecs_manager_step_dispatch_delay_seconds_count{type="delegate.echo"}"#) == "1", "\(text)")
        #expect(value(text, "ecs_manager_queue_depth") == "1.0", "\(text)")
        #expect(value(text, #"ecs_manager_delegates{state="connected"}"#) == "1.0", "\(text)")
        #expect(value(text, #"ecs_manager_executions_started_total{strategy="other"}"#) == "1", "\(text)")
        #expect(value(text, #"ecs_manager_executions_finished_total{strategy="other",phase="succeeded"}"#) == "1", "\(text)")
        #expect(value(text, #"ecs_manager_http_requests_total{route="/v1/tasks",method="POST",status="201"}"#) == "1", "\(text)")
        #expect(value(text, #"ecs_manager_http_requests_total{route="/metrics",method="GET",status="401"}"#) == "1", "\(text)")
        #expect(text.contains(#"ecs_manager_build_info{version=""#))
    }

    @Test func theStrategyIsReadFromTheStepsTaskTypes() throws {
        func plan(_ types: [String]) throws -> PipelinePlan {
            let steps = types.enumerated().map { #"{"id": "p/s\#($0.offset)", "name": "S", "type": "\#($0.element)", "payload": {}}"# }.joined(separator: ",")
            return try JSONValue(parsing: Data(#"{"pipeline": "p", "connector": "c", "timeoutSeconds": 60, "steps": [\#(steps)]}"#.utf8)).decode(as: PipelinePlan.self)
        }
        #expect(ManagerMetrics.strategy(of: try plan(["ecs.bluegreen.create", "verify.http", "ecs.bluegreen.swap"])) == "blueGreen")
        #expect(ManagerMetrics.strategy(of: try plan(["ecs.canary.deploy", "ecs.canary.delete", "ecs.rolling.deploy"])) == "canary")
        #expect(ManagerMetrics.strategy(of: try plan(["ecs.rolling.deploy"])) == "rolling")
        #expect(ManagerMetrics.strategy(of: try plan(["delegate.echo"])) == "other")
    }
}
