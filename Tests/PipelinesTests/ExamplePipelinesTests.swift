import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import Testing

/// The examples in Config/examples/pipelines stay valid: they parse, plan the documented steps, and their manifests render.
@Suite struct ExamplePipelinesTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/examples/pipelines").path

    @Test(arguments: [
        ("rolling.yaml", ["ecs.rolling.deploy"]),
        ("canary.yaml", ["ecs.canary.deploy", "ecs.canary.delete", "ecs.rolling.deploy"]),
        ("bluegreen.yaml", ["ecs.bluegreen.create", "ecs.bluegreen.swap"]),
        ("traffic-shift.yaml", ["ecs.bluegreen.create", "ecs.bluegreen.shiftTraffic", "ecs.bluegreen.shiftTraffic", "ecs.bluegreen.shiftTraffic"]),
        ("run-task.yaml", ["ecs.runTask"]),
        ("steps.yaml", ["ecs.bluegreen.create", "ecs.bluegreen.shiftTraffic", "ecs.bluegreen.shiftTraffic"]),
        ("bluegreen-gated.yaml", ["ecs.bluegreen.create", "verify.http", "verify.targetHealth", "manager.approval", "ecs.bluegreen.swap"]),
        ("canary-baked.yaml", ["ecs.canary.deploy", "verify.alarms", "ecs.canary.delete", "ecs.rolling.deploy"]),
    ])
    func examplesParsePlanAndRender(file: String, steps: [String]) throws {
        let path = (Self.dir as NSString).appendingPathComponent(file)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pipeline = try PipelineFile.parse(text, file: path, baseDirectory: Self.dir)
        let plan = PipelinePlan(pipeline)
        #expect(plan.steps.map(\.type.rawValue) == steps)
        var variables = pipeline.expressionVariables
        variables["targetGroupArn"] = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/stage/1"
        let renderer = ManifestRenderer(variables: variables)
        for (key, kind) in [("taskDefinition", ManifestKind.taskDefinition), ("serviceDefinition", .serviceDefinition), ("runTaskRequest", .runTaskRequest)] {
            guard let ref = pipeline.manifests[key], let content = ref["content"]?.stringValue else { continue }
            _ = try renderer.render(content, file: ref["path"]?.stringValue ?? key, kind: kind)
        }
    }
}
