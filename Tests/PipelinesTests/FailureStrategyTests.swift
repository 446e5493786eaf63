import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import StepContracts
import Testing

/// A step's `onFailure`: roll back (the default), abort, ignore, or retry then roll back; read from the file and obeyed by the engine.
@Suite struct FailureStrategyTests {
    /// A plan of `steps` (a YAML list) over the rolling pipeline's head.
    func plan(_ steps: String) throws -> PipelinePlan {
        let text = rollingText.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: "steps: \(steps)")
        return PipelinePlan(try PipelineFile.parse(text, file: "p.yaml", baseDirectory: try pipelineDir()))
    }

    /// The step keys submitted, answering each with `answer` (by key and how often it was submitted) at `clock`, which moves one minute per task.
    func drive(_ engine: inout ExecutionEngine, _ answer: (String, Int) -> ExecutionEngine.TaskOutcome) -> [String] {
        var keys: [String] = []
        var now = Date(timeIntervalSince1970: 1_800_000_000)
        for n in 1...40 {
            switch engine.next(now: now) {
            case .submit(let s):
                keys.append(s.key)
                engine.started(key: s.key, taskId: "t\(n)")
                engine.finished(key: s.key, answer(s.key, keys.filter { $0 == s.key }.count), now: now)
            case .waitUntil(let at):
                #expect(at > now)
                keys.append("wait \(Int(at.timeIntervalSince(now)))s")
                now = at
            case .wait, .done, .gate:
                return keys
            }
            now = now.addingTimeInterval(60)
        }
        return keys
    }

    let ok = ExecutionEngine.TaskOutcome(status: .succeeded, rollbackSnapshot: ["serviceName": "myapp"])
    let bad = ExecutionEngine.TaskOutcome(status: .failed, rollbackSnapshot: ["serviceName": "myapp"], error: "ecs.deployment_failed: boom")

    @Test func theFileNamesEachStrategyAndRefusesOthers() throws {
        let p = try plan("[{type: rollingDeploy, onFailure: abort}, {type: scale, serviceName: w, desiredCount: 1, onFailure: {retry: {count: 2, intervalSeconds: 30}}}, {type: scale, serviceName: x, desiredCount: 1, id: x, onFailure: ignore}]")
        #expect(p.steps.map(\.onFailure) == [.abort, .retry(count: 2, intervalSeconds: 30), .ignore])
        let encoded = try JSONValue(encoding: p.steps[1].onFailure)
        #expect(encoded == ["retry": ["count": 2, "intervalSeconds": 30]] && (try encoded.decode(as: FailureStrategy.self)) == .retry(count: 2, intervalSeconds: 30))
        for bad in ["onFailure: skip", "onFailure: {retry: {count: 0}}", "onFailure: {retry: {count: 11}}", "onFailure: {retry: {count: 1, intervalSeconds: 3601}}", "onFailure: 3"] {
            #expect(throws: ManifestErrors.self, "\(bad)") { _ = try plan("[{type: rollingDeploy, \(bad)}]") }
        }
    }

    @Test func abortStopsWithoutRollingBackAndCanBeRolledBackLater() throws {
        var e = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a}, {type: scale, serviceName: w, desiredCount: 1, id: b, onFailure: abort}, {type: rollingDeploy, id: c}]"))
        let keys = drive(&e) { key, _ in key == "step:myapp-rolling/b" ? bad : ok }
        #expect(keys == ["step:myapp-rolling/a", "step:myapp-rolling/b"])
        #expect(e.phase == .aborted && e.failure?.contains("boom") == true && ExecutionReport(executionId: "x", engine: e, createdAt: Date(), finishedAt: nil).exitStatus == 1)
        let accepted = e.requestRollback(reason: "by hand")
        #expect(accepted)
        #expect(drive(&e) { _, _ in ok } == ["rollback:myapp-rolling/b", "rollback:myapp-rolling/a"])
        #expect(e.phase == .rolledBack)
    }

    @Test func ignoreCarriesOnAndTheExecutionSucceeds() throws {
        var e = ExecutionEngine(plan: try plan("[{type: scale, serviceName: w, desiredCount: 1, id: a, onFailure: ignore}, {type: rollingDeploy, id: b}]"))
        #expect(drive(&e) { key, _ in key == "step:myapp-rolling/a" ? bad : ok } == ["step:myapp-rolling/a", "step:myapp-rolling/b"])
        #expect(e.phase == .succeeded && e.failure == nil && e.ignoredFailures == ["step:myapp-rolling/a"])
    }

    @Test func retryResubmitsAfterTheIntervalAndSucceedsWhenTheFaultIsLifted() throws {
        var e = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a, onFailure: {retry: {count: 3, intervalSeconds: 300}}}, {type: rollingDeploy, id: b}]"))
        let keys = drive(&e) { key, attempt in key == "step:myapp-rolling/a" && attempt < 3 ? bad : ok }
        #expect(keys == ["step:myapp-rolling/a", "wait 240s", "step:myapp-rolling/a", "wait 240s", "step:myapp-rolling/a", "step:myapp-rolling/b"])
        #expect(e.phase == .succeeded && e.runs.map(\.taskId) == ["t1", "t3", "t5", "t6"])
    }

    @Test func spentRetriesRollBackAndACancelDuringTheWaitRollsBackAtOnce() throws {
        var e = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a}, {type: rollingDeploy, id: b, onFailure: {retry: {count: 1}}}]"))
        let keys = drive(&e) { key, _ in key == "step:myapp-rolling/b" ? bad : ok }
        #expect(keys == ["step:myapp-rolling/a", "step:myapp-rolling/b", "step:myapp-rolling/b", "rollback:myapp-rolling/b", "rollback:myapp-rolling/a"])
        #expect(e.phase == .rolledBack)

        var waiting = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a, onFailure: {retry: {count: 2, intervalSeconds: 600}}}]"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        guard case .submit(let s) = waiting.next(now: now) else { Issue.record("not submitted"); return }
        waiting.started(key: s.key, taskId: "t1")
        waiting.finished(key: s.key, bad, now: now)
        #expect(waiting.next(now: now) == .waitUntil(now.addingTimeInterval(600)))
        waiting.cancel(reason: "stop")
        #expect(waiting.phase == .rollingBack && waiting.retry == nil)
        guard case .submit(let undo) = waiting.next(now: now) else { Issue.record("the rollback is not submitted"); return }
        #expect(undo.key == "rollback:myapp-rolling/a")
    }

    @Test func aCancelledStepIsNeverRetriedOrIgnored() throws {
        var e = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a, onFailure: ignore}, {type: rollingDeploy, id: b}]"))
        guard case .submit(let s) = e.next() else { Issue.record("not submitted"); return }
        e.started(key: s.key, taskId: "t1")
        e.finished(key: s.key, .init(status: .cancelled, rollbackSnapshot: ["serviceName": "myapp"], error: "cancelled"))
        #expect(e.phase == .rollingBack)
    }
}
