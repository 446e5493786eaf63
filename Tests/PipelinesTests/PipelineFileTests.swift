import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import Testing

/// A scratch directory with a pipeline's manifests.
func pipelineDir() throws -> String {
    let dir = NSTemporaryDirectory() + "pipe-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir + "/manifests", withIntermediateDirectories: true)
    try "family: web\ncontainerDefinitions: [{name: web, image: <+artifact.image>}]\n".write(toFile: dir + "/manifests/td.yaml", atomically: true, encoding: .utf8)
    try "serviceName: myapp\ndesiredCount: 2\n".write(toFile: dir + "/manifests/svc.yaml", atomically: true, encoding: .utf8)
    try "launchType: FARGATE\ncount: 1\n".write(toFile: dir + "/manifests/run.yaml", atomically: true, encoding: .utf8)
    return dir
}

let rollingText = """
    pipeline: myapp-rolling
    connector: aws-prod
    cluster: ecs-tutorial
    artifact: {image: nginx:perl}
    manifests:
      taskDefinition: {path: manifests/td.yaml}
      serviceDefinition: {path: manifests/svc.yaml}
    strategy: {type: rolling, forceNewDeployment: true}
    variables: {team: web}
    timeoutSeconds: 900
    """

@Suite struct PipelineFileTests {
    @Test func aRollingPipelineReadsWithItsManifestsInline() throws {
        let dir = try pipelineDir()
        let p = try PipelineFile.parse(rollingText, file: "rolling.yaml", baseDirectory: dir, overrides: ["artifact.image": "nginx:stable", "env.name": "prod"])
        #expect(p.name == "myapp-rolling" && p.connector == "aws-prod" && p.cluster == "ecs-tutorial" && p.timeoutSeconds == 900)
        #expect(p.strategy == PipelineStrategy(kind: .rolling, options: ["forceNewDeployment": true]))
        #expect(p.manifests["taskDefinition"]?["store"] == "inline")
        #expect(p.manifests["taskDefinition"]?["content"]?.stringValue?.contains("<+artifact.image>") == true)
        #expect(p.expressionVariables == ["team": "web", "env": ["name": "prod"], "artifact": ["image": "nginx:stable"]])
    }

    @Test func anArtifactFromARegistryConnectorIsPinnedByDefaultAndReachesEveryStepThatRendersATaskDefinition() throws {
        let dir = try pipelineDir()
        let text = rollingText.replacingOccurrences(of: "artifact: {image: nginx:perl}", with: "artifact: {connector: local-registry, image: library/nginx, tag: perl}")
        let p = try PipelineFile.parse(text, file: "rolling.yaml", baseDirectory: dir)
        #expect(p.artifactSource == PipelineArtifact(connector: "local-registry", image: "library/nginx", tag: "perl", pinDigest: true))
        let plan = PipelinePlan(p)
        #expect(plan.artifactConnector == "local-registry")
        #expect(plan.steps[0].payload["artifact"] == ["image": "library/nginx", "tag": "perl", "pinDigest": true])
        #expect(plan.steps[0].rollback?.payload["artifact"] == nil, "a rollback restores what the snapshot names; it resolves nothing")

        let canary = text.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: "strategy: {type: canary}")
            .replacingOccurrences(of: "tag: perl}", with: "tag: perl, pinDigest: false}")
        let canaryPlan = PipelinePlan(try PipelineFile.parse(canary, file: "canary.yaml", baseDirectory: dir))
        #expect(canaryPlan.steps.map { $0.payload["artifact"]?["pinDigest"] } == [false, nil, false])

        // The plain form is unchanged: no connector, the image is the string given.
        let plain = PipelinePlan(try PipelineFile.parse(rollingText, file: "rolling.yaml", baseDirectory: dir))
        #expect(plain.artifactConnector == nil && plain.steps[0].payload["artifact"] == nil)
    }

    @Test func aRegistryArtifactIsChecked() throws {
        let dir = try pipelineDir()
        let text = rollingText.replacingOccurrences(of: "artifact: {image: nginx:perl}", with: "artifact: {connector: local-registry, tag: \"\", pinDigest: maybe, digest: x}")
        #expect {
            try PipelineFile.parse(text, file: "a.yaml", baseDirectory: dir)
        } throws: { error in
            let text = "\(error)"
            return text.contains("a.yaml:4:11: artifact: missing required key 'artifact.image'") || text.contains("missing required key 'artifact.image'")
                && text.contains("artifact.tag: expected a non-empty string") && text.contains("artifact.pinDigest: expected true or false")
                && text.contains("unknown key 'digest'")
        }
        let good = rollingText.replacingOccurrences(of: "artifact: {image: nginx:perl}", with: "artifact: {connector: local-registry, image: library/nginx}")
        #expect(try PipelineFile.parse(good, file: "a.yaml", baseDirectory: dir).artifactSource?.tag == "latest")
        #expect(try PipelineFile.parse(good, file: "a.yaml", baseDirectory: dir, overrides: ["artifact.tag": "stable"]).artifactSource?.tag == "stable")
        #expect {
            try PipelineFile.parse(good, file: "a.yaml", baseDirectory: dir, overrides: ["artifact.pinDigest": "false"])
        } throws: { error in
            "\(error)".contains("change artifact.pinDigest in the pipeline file")
        }
    }

    @Test func everyProblemIsNamedWithFileLineAndColumn() throws {
        let dir = try pipelineDir()
        let text = """
            pipeline: bad
            conector: aws-prod
            cluster: ecs-tutorial
            manifests:
              taskDefinition: {path: manifests/missing.yaml}
            strategy: {type: canry}
            timeoutSeconds: 0
            """
        #expect {
            try PipelineFile.parse(text, file: "bad.yaml", baseDirectory: dir)
        } throws: { error in
            let text = "\(error)"
            return text.contains("bad.yaml:2:1: conector: unknown key 'conector'") && text.contains("did you mean 'connector'?")
                && text.contains("missing required key 'connector'")
                && text.contains("bad.yaml:5:26: manifests.taskDefinition.path: cannot read")
                && text.contains("bad.yaml:6:18: strategy.type: unknown strategy 'canry'") && text.contains("did you mean 'canary'?")
                && text.contains("bad.yaml:7:17: timeoutSeconds: expected an integer from 1 to 604800")
        }
    }

    @Test func strategiesCheckTheirOptions() throws {
        let dir = try pipelineDir()
        let bg = rollingText.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: "strategy: {type: blueGreenTrafficShift, loadBalancer: alb, prodListener: 80, weights: [50, 10], doNotDownsizeOldService: yes}")
        #expect {
            try PipelineFile.parse(bg, file: "bg.yaml", baseDirectory: dir)
        } throws: { error in
            let text = "\(error)"
            return text.contains("strategy.weights: expected increasing percentages") && text.contains("unknown key 'doNotDownsizeOldService'")
                && text.contains("strategy blueGreenTrafficShift needs 'stageListener'")
        }
        let run = rollingText.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: "strategy: {type: runTask, waitForCompletion: true}")
        #expect(throws: ManifestErrors.self) { try PipelineFile.parse(run, file: "run.yaml", baseDirectory: dir) }
        let ok = run.replacingOccurrences(of: "serviceDefinition: {path: manifests/svc.yaml}", with: "runTaskRequest: {path: manifests/run.yaml}")
        #expect(try PipelineFile.parse(ok, file: "run.yaml", baseDirectory: dir).strategy?.kind == .runTask)
    }

    @Test func aliasBombsAndHugeFilesAreRefused() throws {
        var s = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<30 { s += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(throws: ManifestErrors.self) { try PipelineFile.parse(s + "pipeline: *a29\n", file: "bomb.yaml", baseDirectory: "/tmp") }
    }
}
