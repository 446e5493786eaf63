import DelegateProtocol
import Foundation
import Pipelines
import StepContracts
import Testing

/// `<+steps.ID.NAME>` and `<+blueGreen.NAME>` in a step's payload, resolved from the outputs of the steps that ran before it.
@Suite struct StepExpressionsTests {
    func plan(_ probe: String) throws -> PipelinePlan {
        try JSONValue(parsing: Data("""
            {"pipeline": "p", "connector": "c", "timeoutSeconds": 60, "steps": [
              {"id": "p/bluegreen-create", "name": "Create", "type": "ecs.bluegreen.create", "payload": {}},
              {"id": "p/probe", "name": "Probe", "type": "verify.http", "payload": {"url": \(JSONValue.string(probe).jsonString), "list": ["<+steps.bluegreen-create.desiredCount>"]}}]}
            """.utf8)).decode(as: PipelinePlan.self)
    }

    /// The second step's submission after the create ended with `outputs`.
    func probe(_ text: String, outputs: [String: JSONValue] = ["stageUrl": "http://alb.example:8080", "desiredCount": 2]) throws -> ExecutionEngine.Submission? {
        var e = ExecutionEngine(plan: try plan(text))
        guard case .submit(let create) = e.next() else { return nil }
        e.started(key: create.key, taskId: "t1")
        e.finished(key: create.key, .init(status: .succeeded, outputs: outputs))
        guard case .submit(let s) = e.next() else { return nil }
        return s
    }

    @Test func theOutputsOfEarlierStepsFillTheExpressions() throws {
        let s = try #require(try probe("<+blueGreen.stageUrl>/health?n=<+steps.bluegreen-create.desiredCount>"))
        #expect(s.problem == nil)
        #expect(s.payload.objectValue?["url"] == "http://alb.example:8080/health?n=2")
        #expect(s.payload.objectValue?["list"] == ["2"], "inside arrays too")
        let plain = try #require(try probe("http://fixed.example/ <+artifact.image>"))
        #expect(plain.payload.objectValue?["url"] == "http://fixed.example/ <+artifact.image>", "other expressions are the delegate's")
    }

    @Test func anExpressionThatNamesNothingFailsTheStepWithAClearReason() throws {
        #expect(try probe("<+blueGreen.prodUrl>")?.problem?.contains("has no output 'prodUrl'") == true)
        #expect(try probe("<+steps.canary-deploy.serviceName>")?.problem?.contains("step 'canary-deploy', which did not run") == true)
        #expect(try probe("<+steps.x>")?.problem?.contains("not of the form") == true)
        #expect(try probe("<+blueGreen.stageUrl")?.problem?.contains("not closed") == true)
        let many = String(repeating: "<+blueGreen.stageUrl>", count: 2000)
        #expect(try probe(many, outputs: ["stageUrl": .string(String(repeating: "x", count: 1000)), "desiredCount": 2])?.problem?.contains("more than 65536 bytes") == true,
                "a string naming an output many times is bounded, not grown to megabytes")
    }

    @Test func theFirstUnresolvableMemberInKeyOrderIsTheOneReported() throws {
        // The engine reports the problem; the orchestrator fails the step with it (as here), and the rollback follows as for any failure.
        var e = ExecutionEngine(plan: try plan("<+blueGreen.nothing>"))
        guard case .submit(let create) = e.next() else { Issue.record("no first step"); return }
        e.started(key: create.key, taskId: "t1")
        e.finished(key: create.key, .init(status: .succeeded, outputs: ["stageUrl": "x"]))
        guard case .submit(let s) = e.next() else { Issue.record("no second step"); return }
        e.started(key: s.key, taskId: "")
        e.finished(key: s.key, .init(status: .failed, error: "Probe cannot start: \(s.problem ?? "")"))
        #expect(e.phase == .succeeded || e.phase == .rolledBack, "no rollback is planned here, so nothing is undone")
        #expect(e.runs.last?.outcome?.error?.contains("no output 'desiredCount'") == true, "members are resolved in key order: list before url")
    }
}
