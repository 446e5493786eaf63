import DelegateProtocol
import Foundation
import HTTPClient
import ManagerAPI
import ManagerClient
import Pipelines
import Testing

/// Approval and wait gates through a real manager (SQLite, or PostgreSQL with `ECS_MANAGER_TEST_STORAGE=postgres`): deciding, who may decide, timeouts, and a restart while held.
@Suite(.timeLimit(.minutes(3))) struct ApprovalGateRouteTests {
    /// A plan: `deploy` (an echo task with a rollback), then `gate`, then `after` (an echo task).
    func plan(_ gate: String) throws -> PipelinePlan {
        try JSONValue(parsing: Data("""
            {"pipeline": "p", "connector": "aws-none", "timeoutSeconds": 60, "steps": [
              {"id": "p/deploy", "name": "Deploy", "type": "delegate.echo", "payload": {}, "rollback": {"name": "Undo", "type": "delegate.echo", "payload": {}}},
              \(gate),
              {"id": "p/after", "name": "After", "type": "delegate.echo", "payload": {}}]}
            """.utf8)).decode(as: PipelinePlan.self)
    }

    let approval = #"{"id": "p/approve", "name": "Approve the swap", "type": "manager.approval", "payload": {}, "gate": {"kind": "approval", "message": "Swap to green?", "seconds": 600}}"#

    /// A manager with a connector and an echo delegate.
    func manager(dir: String? = nil) async throws -> (LiveManager, String) {
        let m = try await LiveManager.start(dir: dir)
        if dir == nil {
            _ = try await m.store.putConnector(Connector(name: "aws-none", type: .aws, region: "us-east-1", credentials: ConnectorCredentials(kind: .delegate)), now: Date())
        }
        return (m, try await m.register(instance: "gate-delegate"))
    }

    /// Takes the next task the delegate is handed and ends it with `status` (a snapshot, so the step has something to roll back); returns its type.
    @discardableResult
    func answer(_ m: LiveManager, _ delegate: String, _ status: TaskStatus = .succeeded) async throws -> String {
        var envelope: TaskEnvelope?
        for _ in 0..<30 where envelope == nil { envelope = try await m.client.nextTask(delegateId: delegate, wait: 2) }
        let task = try #require(envelope, "no task was handed out")
        try await m.client.sendResult(taskId: task.taskId, TaskResult(leaseId: task.leaseId, status: status, outputs: [:], rollbackSnapshot: ["undo": true]))
        return task.taskId
    }

    /// The execution's report once `done` says so (polled for up to 30 s).
    func report(_ m: LiveManager, _ id: String, until done: (ExecutionReport) -> Bool) async throws -> ExecutionReport {
        var r = try await m.client.execution(id)
        for _ in 0..<300 where !done(r) {
            try await Task.sleep(for: .milliseconds(100))
            r = try await m.client.execution(id)
        }
        return r
    }

    @Test func anApprovedExecutionGoesOnAndAReadKeyOrASecondDecisionIsRefused() async throws {
        let (m, delegate) = try await manager()
        defer { Task { await m.stop() } }
        let id = try await m.client.startExecution(StartExecutionRequest(plan: try plan(approval))).executionId
        try await answer(m, delegate)
        let held = try await report(m, id) { $0.phase == .waiting }
        #expect(held.phase == .waiting && held.gate?.step == "Approve the swap" && held.gate?.message == "Swap to green?")
        let deadline = try #require(held.gate?.deadline)
        #expect(abs(deadline.timeIntervalSince(held.gate?.openedAt ?? .distantPast) - 600) < 0.01)

        let reader = try await m.client.createToken(CreateTokenRequest(name: "viewer", kind: .api, scope: .read))
        let readClient = ManagerClient(baseURL: m.url, token: reader.token, http: m.http)
        do {
            try await readClient.approveExecution(id)
            Issue.record("a read key approved")
        } catch ManagerClientError.http(let status, _, _) {
            #expect(status == 403)
        }
        let runner = try await m.client.createToken(CreateTokenRequest(name: "release-manager", kind: .api, scope: .run))
        let runClient = ManagerClient(baseURL: m.url, token: runner.token, http: m.http)
        let approved = try await runClient.approveExecution(id, comment: "green looks good")
        #expect(approved.runs[1].gate?.decision?.by == "release-manager" && approved.runs[1].gate?.decision?.comment == "green looks good")
        do {
            try await m.client.approveExecution(id)
            Issue.record("a second approval was accepted")
        } catch ManagerClientError.http(let status, _, let message) {
            #expect(status == 409 && message.contains("already approved by release-manager"), "\(message)")
        }

        try await answer(m, delegate)
        let end = try await report(m, id) { $0.isFinished }
        #expect(end.phase == .succeeded && end.runs.map(\.name) == ["Deploy", "Approve the swap", "After"])
        let audit = try await m.client.audit()
        #expect(audit.contains { $0.action == "execution.approve" && $0.actor == "release-manager" && $0.target == id && $0.detail == "comment=green looks good" })
    }

    @Test func aRejectionRollsBackWhatRanAndIsAudited() async throws {
        let (m, delegate) = try await manager()
        defer { Task { await m.stop() } }
        let id = try await m.client.startExecution(StartExecutionRequest(plan: try plan(approval))).executionId
        try await answer(m, delegate)
        _ = try await report(m, id) { $0.phase == .waiting }
        let rejected = try await m.client.rejectExecution(id, comment: "error rate too high")
        #expect(rejected.runs[1].status == .failed && rejected.runs[1].gate?.decision?.approved == false)
        try await answer(m, delegate)
        let end = try await report(m, id) { $0.isFinished }
        #expect(end.phase == .rolledBack && end.failure?.contains("rejected by") == true && end.failure?.contains("error rate too high") == true, "\(end)")
        #expect(end.runs.map(\.name) == ["Deploy", "Approve the swap", "Undo"], "After never ran; the deploy was undone")
        #expect(try await m.client.audit().contains { $0.action == "execution.reject" && $0.target == id })
        do {
            try await m.client.approveExecution(id)
            Issue.record("an approval after the rejection was accepted")
        } catch ManagerClientError.http(let status, _, _) {
            #expect(status == 409)
        }
    }

    @Test func anApprovalNobodyDecidesTimesOutAndRollsBack() async throws {
        let (m, delegate) = try await manager()
        defer { Task { await m.stop() } }
        let shortApproval = approval.replacingOccurrences(of: #""seconds": 600"#, with: #""seconds": 1"#)
        let id = try await m.client.startExecution(StartExecutionRequest(plan: try plan(shortApproval))).executionId
        try await answer(m, delegate)
        try await answer(m, delegate)  // the rollback, once the approval timed out
        let end = try await report(m, id) { $0.isFinished }
        #expect(end.phase == .rolledBack && end.runs[1].gate?.decision?.by == "timeout" && end.failure?.contains("nobody approved it") == true, "\(end)")
        #expect(try await m.client.audit().contains { $0.action == "execution.reject" && $0.actor == "timeout" && $0.target == id }, "the deadline's decision is audited too")
    }

    @Test func aManagerRestartedDuringAWaitKeepsTheDeadline() async throws {
        let (first, delegate) = try await manager()
        let wait = #"{"id": "p/bake", "name": "Bake", "type": "manager.wait", "payload": {}, "gate": {"kind": "wait", "seconds": 3}}"#
        let id = try await first.client.startExecution(StartExecutionRequest(plan: try plan(wait))).executionId
        try await answer(first, delegate)
        let held = try await report(first, id) { $0.phase == .waiting }
        let deadline = try #require(held.gate?.deadline)
        await first.stop()

        let (m, again) = try await manager(dir: first.dir)
        defer { Task { await m.stop() } }
        let resumed = try await m.client.execution(id)
        // The run keeps its gate after the wait is over (a slow restart beside a CPU hog can take longer than the wait).
        let gate = resumed.runs.last { $0.gate != nil }?.gate
        #expect(gate?.deadline == deadline, "the deadline is the stored one, not one set at the restart")
        let taskId = try await answer(m, again)
        #expect(Date() >= deadline, "the next step starts only once the wait is over")
        let end = try await report(m, id) { $0.isFinished }
        #expect(end.phase == .succeeded && end.runs.last?.taskId == taskId)
    }
}
