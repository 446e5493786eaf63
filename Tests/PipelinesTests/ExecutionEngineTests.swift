import DelegateProtocol
import Foundation
import Pipelines
import StepContracts
import Testing

/// The execution's pure core: which task comes next, what it is given, and how a failure unwinds.
@Suite struct ExecutionEngineTests {
    func plan(_ strategy: String) throws -> PipelinePlan {
        let dir = try pipelineDir()
        var text = rollingText.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: strategy)
        if strategy.contains("runTask") { text = text.replacingOccurrences(of: "serviceDefinition: {path: manifests/svc.yaml}", with: "runTaskRequest: {path: manifests/run.yaml}") }
        return PipelinePlan(try PipelineFile.parse(text, file: "p.yaml", baseDirectory: dir))
    }

    /// Runs the engine, answering each task with `answer` (by task type and how often it was seen); returns the types submitted.
    func drive(_ engine: inout ExecutionEngine, _ answer: (ExecutionEngine.Submission) -> ExecutionEngine.TaskOutcome) -> [String] {
        var types: [String] = []
        var n = 0
        while case .submit(let s) = engine.next(), n < 50 {
            n += 1
            types.append(s.type.rawValue)
            engine.started(key: s.key, taskId: "task-\(n)")
            #expect(engine.next() == .wait)
            engine.finished(key: s.key, answer(s))
        }
        return types
    }

    @Test func stepsRunInOrderEachGivenTheOutputsBeforeIt() throws {
        var e = ExecutionEngine(plan: try plan("strategy: {type: blueGreenTrafficShift, loadBalancer: alb, prodListener: '80', stageListener: '8080', weights: [10, 100]}"))
        var payloads: [JSONValue] = []
        let types = drive(&e) { s in
            payloads.append(s.payload)
            return s.type == TaskType.blueGreenCreate
                ? .init(status: .succeeded, outputs: ["newServiceName": "myapp__1", "stageTargetGroupArn": "tg-2"], rollbackSnapshot: ["baseName": "myapp"])
                : .init(status: .succeeded, outputs: ["weight": s.payload["weight"] ?? .null])
        }
        #expect(types == ["ecs.bluegreen.create", "ecs.bluegreen.shiftTraffic", "ecs.bluegreen.shiftTraffic"])
        #expect(e.next() == .done(.succeeded) && e.phase == .succeeded)
        #expect(payloads[0]["loadBalancer"] == "alb" && payloads[0]["cluster"] == "ecs-tutorial" && payloads[0]["manifests"]?["taskDefinition"] != nil)
        #expect(payloads[2]["newServiceName"] == "myapp__1" && payloads[2]["weight"] == 100, "own members over earlier outputs")
        #expect(payloads[2]["stepId"] == payloads[0]["stepId"], "every blue/green step files under the create step's id")
    }

    @Test func aFailureInTheSecondCanaryStepRollsBackWhatRanInReverseOrder() throws {
        var e = ExecutionEngine(plan: try plan("strategy: {type: canary}"))
        var rollbackPayload: JSONValue?
        let types = drive(&e) { s in
            switch s.type {
            case TaskType.canaryDeploy: return .init(status: .succeeded, outputs: ["canaryServiceName": "myappCanary"], rollbackSnapshot: ["serviceName": "myappCanary", "firstDeployment": true])
            case TaskType.canaryDelete where s.key.hasPrefix("step:"): return .init(status: .failed, error: "ecs.timeout: not INACTIVE")
            default:
                rollbackPayload = s.payload
                return .init(status: .succeeded)
            }
        }
        #expect(types == ["ecs.canary.deploy", "ecs.canary.delete", "ecs.canary.delete"], "the rolling deploy never ran; the canary deploy is undone by deleting the canary")
        #expect(e.phase == .rolledBack && e.next() == .done(.rolledBack))
        #expect(e.failure == "Canary Delete failed: ecs.timeout: not INACTIVE")
        #expect(rollbackPayload?["canaryServiceName"] == "myappCanary" && rollbackPayload?["snapshot"]?["firstDeployment"] == true)
    }

    @Test func rollbacksRunInReverseOrderOncePerGroup() throws {
        var e = ExecutionEngine(plan: try plan("strategy: {type: canary}"))
        let types = drive(&e) { s in
            s.type == TaskType.rollingDeploy ? .init(status: .failed, rollbackSnapshot: ["serviceName": "myapp"], error: "circuit breaker") : .init(status: .succeeded, rollbackSnapshot: ["serviceName": "x"])
        }
        #expect(types == ["ecs.canary.deploy", "ecs.canary.delete", "ecs.rolling.deploy", "ecs.rolling.rollback", "ecs.canary.delete"])
        var bg = ExecutionEngine(plan: try plan("strategy: {type: blueGreen, loadBalancer: alb, prodListener: '80', stageListener: '8080'}"))
        let bgTypes = drive(&bg) { s in s.type == TaskType.blueGreenSwap ? .init(status: .failed, error: "AccessDenied") : .init(status: .succeeded, rollbackSnapshot: ["baseName": "myapp"]) }
        #expect(bgTypes == ["ecs.bluegreen.create", "ecs.bluegreen.swap", "ecs.bluegreen.rollback"], "create and swap share one rollback")
    }

    @Test func aStepThatChangedNothingNeedsNoRollbackAndAFailedRollbackIsSaid() throws {
        var e = ExecutionEngine(plan: try plan("strategy: {type: rolling}"))
        #expect(drive(&e) { _ in .init(status: .failed, error: "invalid_manifest") } == ["ecs.rolling.deploy"])
        #expect(e.phase == .rolledBack)
        var f = ExecutionEngine(plan: try plan("strategy: {type: rolling}"))
        let types = drive(&f) { s in .init(status: .failed, rollbackSnapshot: s.type == TaskType.rollingDeploy ? ["serviceName": "myapp"] : nil, error: "boom") }
        #expect(types == ["ecs.rolling.deploy", "ecs.rolling.rollback"])
        #expect(f.phase == .rollbackFailed)
    }

    @Test func theStateSurvivesARestartMidway() throws {
        var e = ExecutionEngine(plan: try plan("strategy: {type: canary}"))
        guard case .submit(let first) = e.next() else { Issue.record("no first task"); return }
        e.started(key: first.key, taskId: "t1")
        let restored = try JSONDecoder().decode(ExecutionEngine.self, from: JSONEncoder().encode(e))
        #expect(restored == e)
        var resumed = restored
        #expect(resumed.next() == .wait)
        resumed.finished(key: first.key, .init(status: .succeeded, outputs: ["canaryServiceName": "myappCanary"]))
        guard case .submit(let second) = resumed.next() else { Issue.record("no second task"); return }
        #expect(second.type == TaskType.canaryDelete && second.payload["canaryServiceName"] == "myappCanary")
    }
}

/// A plan comes from a client: the manager refuses one it cannot drive.
@Suite struct PlanBoundsTests {
    @Test func emptyOversizedAndAmbiguousPlansAreRefused() throws {
        let dir = try pipelineDir()
        var plan = PipelinePlan(try PipelineFile.parse(rollingText, file: "p.yaml", baseDirectory: dir))
        #expect(plan.problem == nil)
        let step = plan.steps[0]
        plan.steps = []
        #expect(plan.problem == "the pipeline has no steps")
        plan.steps = [step, step]
        #expect(plan.problem == "the pipeline's step ids are not unique")
        plan.steps = (0...PipelinePlan.maxSteps).map { i in var s = step; s.id = "s\(i)"; return s }
        #expect(plan.problem == "the pipeline has 129 steps; at most 128")
    }
}

/// Cancelling while a step's task runs waits for that task before rolling back.
@Suite struct CancelWhileRunningTests {
    @Test func theRollbackWaitsForTheRunningTaskAndALateSuccessIsStillRolledBack() throws {
        let dir = try pipelineDir()
        var e = ExecutionEngine(plan: PipelinePlan(try PipelineFile.parse(rollingText, file: "p.yaml", baseDirectory: dir)))
        guard case .submit(let s) = e.next() else { Issue.record("no first task"); return }
        e.started(key: s.key, taskId: "t1")
        e.cancel(reason: "the execution was cancelled", taskStillRunning: true)
        #expect(e.next() == .wait, "no rollback beside the running deployment")
        e.finished(key: s.key, .init(status: .succeeded, rollbackSnapshot: ["serviceName": "myapp"]))
        guard case .submit(let rollback) = e.next() else { Issue.record("no rollback"); return }
        #expect(rollback.type == TaskType.rollingRollback)
        #expect(e.failure == "the execution was cancelled after Rolling Deploy")
    }
}
