import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import StepContracts
import Testing

/// Pipelines written as `steps:` lists: read with their options checked, planned like the strategies they generalise.
@Suite struct PipelineStepsTests {
    /// A pipeline file with `body` after its common head.
    func text(_ body: String) -> String {
        """
        pipeline: app
        connector: aws-prod
        cluster: c1
        manifests:
          taskDefinition: {path: manifests/td.yaml}
          serviceDefinition: {path: manifests/svc.yaml}
        \(body)
        """
    }

    /// The problems reading `body` gives, or [] when it reads.
    func problems(_ body: String) throws -> [String] {
        do {
            _ = try PipelineFile.parse(text(body), file: "p.yaml", baseDirectory: try pipelineDir())
            return []
        } catch let e as ManifestErrors {
            return e.errors.map(\.description)
        }
    }

    @Test func eachStrategyPlansExactlyAsTheStepListItIsShorthandFor() throws {
        let dir = try pipelineDir()
        let pairs: [(String, String)] = [
            ("strategy: {type: rolling, forceNewDeployment: true, steadyStateTimeoutSeconds: 60}",
             "steps: [{type: rollingDeploy, forceNewDeployment: true, steadyStateTimeoutSeconds: 60}]"),
            ("strategy: {type: canary, canaryDesiredCount: 2, failFast: false}",
             "steps: [{type: canaryDeploy, desiredCount: 2, failFast: false}, {type: canaryDelete}, {type: rollingDeploy, failFast: false}]"),
            ("strategy: {type: blueGreen, loadBalancer: alb, prodListener: '80', stageListener: '8080', downsizeDelaySeconds: 5}",
             "steps: [{type: blueGreenCreate, loadBalancer: alb, prodListener: '80', stageListener: '8080'}, {type: blueGreenSwap, downsizeDelaySeconds: 5}]"),
            ("strategy: {type: blueGreenTrafficShift, loadBalancer: alb, prodListener: '80', stageListener: '8080', weights: [10, 100]}",
             "steps: [{type: blueGreenCreate, loadBalancer: alb, prodListener: '80', stageListener: '8080'}, {type: shiftTraffic, weight: 10}, {type: shiftTraffic, weight: 100}]"),
        ]
        for (strategy, steps) in pairs {
            let a = PipelinePlan(try PipelineFile.parse(text(strategy), file: "a.yaml", baseDirectory: dir))
            let b = PipelinePlan(try PipelineFile.parse(text(steps), file: "b.yaml", baseDirectory: dir))
            #expect(a == b, "\(strategy)")
        }
    }

    @Test func aListNamesItsStepsAndEveryBlueGreenStepBelongsToItsCreate() throws {
        let file = try PipelineFile.parse(text("""
            steps:
              - {type: blueGreenCreate, loadBalancer: alb, prodListener: "80", stageListener: "8080", steadyStateTimeoutSeconds: 120}
              - {type: shiftTraffic, weight: 25, name: A quarter}
              - {type: shiftTraffic, weight: 25}
              - {type: shiftTraffic, weight: 100, id: all-in}
              - {type: scale, serviceName: worker, desiredCount: 3}
            """), file: "p.yaml", baseDirectory: try pipelineDir())
        #expect(file.strategy == nil && file.steps.map(\.kind) == [.blueGreenCreate, .shiftTraffic, .shiftTraffic, .shiftTraffic, .scale])
        let plan = PipelinePlan(file)
        #expect(plan.steps.map(\.id) == ["app/bluegreen-create", "app/shift-25", "app/shift-25-2", "app/all-in", "app/scale"])
        #expect(plan.steps.map(\.name) == ["Blue Green Create Service", "A quarter", "Shift Traffic 25%", "Shift Traffic 100%", "Scale Service"])
        #expect(plan.steps.map(\.type) == [.blueGreenCreate, .blueGreenShiftTraffic, .blueGreenShiftTraffic, .blueGreenShiftTraffic, .serviceScale])
        #expect(plan.steps[1...3].allSatisfy { $0.payload["stepId"] == "app/bluegreen-create" && $0.rollback?.group == "app/bluegreen-create" })
        #expect(plan.steps[0].payload["steadyStateTimeoutSeconds"] == 120 && plan.steps[0].rollback?.payload["steadyStateTimeoutSeconds"] == 120)
        let scale = try plan.steps[4].payload.decode(as: ServiceScalePayload.self)
        #expect(scale == ServiceScalePayload(cluster: "c1", serviceName: "worker", desiredCount: 3, stepId: "app/scale"))
        #expect(plan.steps[4].rollback?.type == .serviceScaleRollback)
        #expect(plan.problem == nil)
        let outline = plan.outline
        #expect(outline.hasPrefix("pipeline app: 5 steps, connector aws-prod\n1. Blue Green Create Service  [app/bluegreen-create]  ecs.bluegreen.create  rolled back by Blue Green Rollback (ecs.bluegreen.rollback) for app/bluegreen-create\n"))
        #expect(outline.contains("3. Shift Traffic 25%  [app/shift-25-2]  ecs.bluegreen.shiftTraffic") && outline.contains("   weight=25\n"))
        #expect(!outline.contains("manifests"), "manifests are not printed")
    }

    @Test func badListsAreRefusedNamingTheStep() throws {
        #expect(try problems("steps: []").first?.contains("steps: expected a list of steps") == true)
        #expect(try problems("steps: [{type: rollingDeploy}]\nstrategy: {type: rolling}").first?.contains("give either 'strategy' or 'steps', not both") == true)
        #expect(try problems("steps: [{type: rolingDeploy}]").first?.contains("unknown step type 'rolingDeploy'") == true)
        #expect(try problems("steps: [{type: rolingDeploy}]").first?.contains("did you mean 'rollingDeploy'?") == true)
        #expect(try problems("steps: [{type: blueGreenSwap}]").first?.contains("steps[0].type: a blueGreenSwap step works on what a blueGreenCreate step before it made") == true)
        #expect(try problems("steps: [{type: canaryDeploy}, {type: shiftTraffic, weight: 50}]").contains { $0.contains("blueGreenCreate step before it") })
        #expect(try problems("steps: [{type: shiftTraffic}]").contains { $0.contains("a shiftTraffic step needs 'weight'") })
        #expect(try problems("steps: [{type: rollingDeploy, weights: [10]}]").first?.contains("steps[0]") == true)
        #expect(try problems("steps: [{type: rollingDeploy, steadyStateTimeoutSeconds: 0}]").first?.contains("steps[0].steadyStateTimeoutSeconds: expected an integer from 1 to 86400") == true)
        #expect(try problems("steps: [{type: rollingDeploy, id: a}, {type: canaryDeploy, id: a}]").contains { $0.contains("the id 'a' is used by an earlier step") })
        #expect(try problems("steps: [{type: rollingDeploy, id: 'a b'}]").contains { $0.contains("steps[0].id") })
        #expect(try problems("steps: [{type: scale, serviceName: w, desiredCount: 100001}]").contains { $0.contains("steps[0].desiredCount") })
        #expect(try problems("steps: [{type: runTask}]").contains { $0.contains("a runTask step needs manifests.runTaskRequest") })
        #expect(try problems("steps: [rollingDeploy]").first?.contains("steps[0]: expected a mapping with a type") == true)
        let errors = try problems("steps: [{type: rollingDeploy, name: \"two\\nlines\"}]")
        #expect(errors.contains { $0.contains("steps[0].name") }, "\(errors)")
    }
}
