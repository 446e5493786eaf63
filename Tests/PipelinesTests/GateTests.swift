import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import StepContracts
import Testing

/// Approval and wait gates: read from the file, held by the engine until a decision or their deadline, and what a rejection or a timeout rolls back.
@Suite struct GateTests {
    /// A plan of `steps` (a YAML list) over the rolling pipeline's head.
    func plan(_ steps: String) throws -> PipelinePlan {
        let text = rollingText.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: "steps: \(steps)")
        return PipelinePlan(try PipelineFile.parse(text, file: "p.yaml", baseDirectory: try pipelineDir()))
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let ok = ExecutionEngine.TaskOutcome(status: .succeeded, rollbackSnapshot: ["serviceName": "myapp"])

    /// Runs tasks (each succeeding) and opens gates at `now` until the engine holds or ends; returns the keys it went through.
    func advance(_ e: inout ExecutionEngine, at now: Date) -> [String] {
        var keys: [String] = []
        for n in 0..<20 {
            switch e.next(now: now) {
            case .submit(let s):
                keys.append(s.key)
                e.started(key: s.key, taskId: "t\(e.runs.count)-\(n)")
                e.finished(key: s.key, ok, now: now)
            case .gate(let key):
                keys.append("gate \(key)")
                e.advanceGate(key: key, now: now)
            case .waitUntil, .wait, .done:
                return keys
            }
        }
        return keys
    }

    let gated = "[{type: rollingDeploy, id: a}, {type: approval, message: 'Swap to green?', timeoutSeconds: 600}, {type: rollingDeploy, id: b}]"

    @Test func anApprovalHoldsUntilApprovedAndTheDecisionIsKept() throws {
        var e = ExecutionEngine(plan: try plan(gated))
        #expect(advance(&e, at: t0) == ["step:myapp-rolling/a", "gate step:myapp-rolling/approval"])
        #expect(e.next(now: t0.addingTimeInterval(10)) == .waitUntil(t0.addingTimeInterval(600)))
        let report = ExecutionReport(executionId: "x", engine: e, createdAt: t0, finishedAt: nil)
        #expect(report.phase == .waiting && report.gate?.message == "Swap to green?" && report.gate?.deadline == t0.addingTimeInterval(600) && !report.isFinished)
        #expect(report.exitStatus == 1 && e.phase == .deploying)

        let yes = GateDecision(approved: true, by: "alice", at: t0.addingTimeInterval(30), comment: "looks good")
        #expect(e.decide(yes, now: t0.addingTimeInterval(30)) == .decided)
        #expect(e.decide(GateDecision(approved: false, by: "bob", at: t0, comment: nil)) == .alreadyDecided(yes), "a second decision changes nothing")
        #expect(advance(&e, at: t0.addingTimeInterval(31)) == ["step:myapp-rolling/b"])
        #expect(e.phase == .succeeded && e.runs[1].gate?.decision == yes && e.runs[1].outcome?.status == .succeeded)
        #expect(e.runs[1].type == .approvalGate && e.runs[1].taskId == nil)
    }

    @Test func aRejectionRollsBackWhatRanAndSaysWhoRejected() throws {
        var e = ExecutionEngine(plan: try plan(gated))
        _ = advance(&e, at: t0)
        #expect(e.decide(GateDecision(approved: false, by: "bob", at: t0, comment: "not today"), now: t0) == .decided)
        #expect(e.phase == .rollingBack && e.failure == "Approval failed: rejected by bob: not today")
        #expect(advance(&e, at: t0) == ["rollback:myapp-rolling/a"], "the gate has no rollback of its own; step b never ran")
        #expect(e.phase == .rolledBack)
    }

    @Test func anUndecidedApprovalBecomesItsOnTimeoutAtTheDeadline() throws {
        var rejected = ExecutionEngine(plan: try plan(gated))
        _ = advance(&rejected, at: t0)
        #expect(advance(&rejected, at: t0.addingTimeInterval(599)) == [], "held until the deadline")
        #expect(advance(&rejected, at: t0.addingTimeInterval(600)) == ["gate step:myapp-rolling/approval", "rollback:myapp-rolling/a"])
        #expect(rejected.phase == .rolledBack && rejected.failure?.contains("nobody approved it before") == true)
        #expect(rejected.runs[1].gate?.decision?.by == GateDecision.timeoutDecider && rejected.runs[1].gate?.decision?.approved == false)

        var approved = ExecutionEngine(plan: try plan(gated.replacingOccurrences(of: "timeoutSeconds: 600", with: "timeoutSeconds: 600, onTimeout: approve")))
        _ = advance(&approved, at: t0)
        #expect(advance(&approved, at: t0.addingTimeInterval(700)) == ["gate step:myapp-rolling/approval", "step:myapp-rolling/b"])
        #expect(approved.phase == .succeeded && approved.runs[1].gate?.decision?.approved == true)
    }

    @Test func aWaitKeepsItsStoredDeadlineAcrossARestart() throws {
        var e = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a}, {type: wait, seconds: 300}, {type: rollingDeploy, id: b}]"))
        _ = advance(&e, at: t0)
        // A restarted manager reads the engine back: the deadline is the one set when the wait opened, not 300 s from the restart.
        var restarted = try JSONDecoder().decode(ExecutionEngine.self, from: JSONEncoder().encode(e))
        #expect(restarted.next(now: t0.addingTimeInterval(200)) == .waitUntil(t0.addingTimeInterval(300)))
        #expect(advance(&restarted, at: t0.addingTimeInterval(300)) == ["gate step:myapp-rolling/wait", "step:myapp-rolling/b"])
        #expect(restarted.phase == .succeeded && restarted.runs.map(\.name) == ["Rolling Deploy", "Wait 300 s", "Rolling Deploy"])
    }

    @Test func aCancelAtAGateRollsBackAtOnceAndNothingIsLeftToDecide() throws {
        var e = ExecutionEngine(plan: try plan(gated))
        _ = advance(&e, at: t0)
        e.cancel(reason: "the execution was cancelled")
        #expect(e.phase == .rollingBack && e.runs[1].outcome?.status == .cancelled)
        #expect(e.decide(GateDecision(approved: true, by: "alice", at: t0, comment: nil)) == .notWaiting)
        #expect(advance(&e, at: t0) == ["rollback:myapp-rolling/a"] && e.phase == .rolledBack)
    }

    @Test func onFailureAbortOnAnApprovalStopsWithoutRollingBack() throws {
        var e = ExecutionEngine(plan: try plan("[{type: rollingDeploy, id: a}, {type: approval, onFailure: abort}]"))
        _ = advance(&e, at: t0)
        _ = e.decide(GateDecision(approved: false, by: "bob", at: t0, comment: nil))
        #expect(e.phase == .aborted && advance(&e, at: t0).isEmpty)
    }

    @Test func theFileChecksGateOptions() throws {
        let p = try plan("[{type: wait, seconds: 30, name: Bake}, {type: approval}]")
        #expect(p.steps.map(\.gate) == [.wait(seconds: 30), .approval(message: nil, timeoutSeconds: 86_400)])
        #expect(p.steps.map(\.name) == ["Bake", "Approval"] && p.steps.allSatisfy { $0.rollback == nil } && p.problem == nil)
        for bad in [
            "[{type: wait}]", "[{type: wait, seconds: 0}]", "[{type: wait, seconds: 604801}]", "[{type: approval, onTimeout: maybe}]",
            "[{type: approval, timeoutSeconds: 2592001}]", "[{type: approval, onFailure: {retry: {count: 1}}}]", "[{type: wait, seconds: 5, message: hi}]",
        ] {
            #expect(throws: ManifestErrors.self, "\(bad)") { _ = try plan(bad) }
        }
    }

    @Test func aPlanFromAClientCannotDisguiseATaskAsAGateOrAGateAsATask() throws {
        var p = try plan(gated)
        var forged = p
        forged.steps[1].gate = nil
        #expect(forged.problem?.contains("gates") == true, "a manager.approval step without a gate")
        forged = p
        forged.steps[0].gate = .wait(seconds: 5)
        #expect(forged.problem?.contains("gates") == true, "a task step carrying a gate")
        forged = p
        forged.steps[1].gate = .approval(message: nil, timeoutSeconds: 0)
        #expect(forged.problem?.contains("timeoutSeconds") == true)
        p.steps[1].gate = .approval(message: String(repeating: "x", count: 1001))
        #expect(p.problem?.contains("message") == true)
    }

    @Test func theDryRunShowsEachGate() throws {
        let outline = try plan(gated).outline
        #expect(outline.contains("2. Approval  [myapp-rolling/approval]  manager.approval  holds up to 600 s for an approval, then rejects: Swap to green?"), "\(outline)")
    }
}
