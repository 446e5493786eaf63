import DelegateProtocol
import Foundation
import Manifests
import Testing

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

let tutorialVariables: [String: JSONValue] = ["artifact": ["image": "nginx:perl"], "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/stage/abc"]

@Suite struct ManifestTests {
    let renderer = ManifestRenderer(variables: tutorialVariables)

    @Test(arguments: ["RegisterTaskDefinitionRequest.json", "RegisterTaskDefinitionRequest.yaml"])
    func tutorialTaskDefinitionRendersVerbatim(file: String) throws {
        let r = try renderer.render(try fixture(file), file: file, kind: .taskDefinition)
        let body = try #require(r.body.objectValue)
        #expect(body["family"] == "fargate-task-definition")
        #expect(body["cpu"] == "256" && body["memory"] == "512")
        #expect(body["ipcMode"] == nil, "nulls are dropped")
        let container = try #require(body["containerDefinitions"]?.arrayValue?.first?.objectValue)
        #expect(container["image"] == "nginx:perl")
        #expect(container["memoryReservation"] == 128)
        #expect(container["portMappings"] == [["hostPort": 80, "protocol": "tcp", "containerPort": 80]])
        #expect(container["entryPoint"] == nil)
        #expect(container["environment"] == [])
    }

    @Test(arguments: ["CreateServiceRequest.json", "CreateServiceRequest.yaml"])
    func tutorialServiceDefinitionRenders(file: String) throws {
        let r = try renderer.render(try fixture(file), file: file, kind: .serviceDefinition)
        #expect(r.body["serviceName"] == "myapp")
        #expect(r.body["launchType"] == "FARGATE")
        #expect(r.body["networkConfiguration"]?["awsvpcConfiguration"]?["assignPublicIp"] == "ENABLED")
    }

    @Test func scalingManifestsMapToTheAPIsPascalCase() throws {
        let t = try renderer.render(try fixture("ScalableTarget.yaml"), file: "ScalableTarget.yaml", kind: .scalableTarget)
        #expect(t.body == ["ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1, "MaxCapacity": 3])
        let p = try renderer.render(try fixture("ScalingPolicy.yaml"), file: "ScalingPolicy.yaml", kind: .scalingPolicy)
        #expect(p.body["PolicyName"] == "P1")
        #expect(p.body["TargetTrackingScalingPolicyConfiguration"]?["TargetValue"] == 60)
        #expect(p.body["TargetTrackingScalingPolicyConfiguration"]?["PredefinedMetricSpecification"]?["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization")
    }

    @Test func blueGreenAndRunTaskManifests() throws {
        let bg = try renderer.render(try fixture("BlueGreenCreateServiceRequest.yaml"), file: "bg.yaml", kind: .serviceDefinition)
        #expect(bg.body["loadBalancers"]?.arrayValue?.first?["targetGroupArn"] == tutorialVariables["targetGroupArn"])
        #expect(bg.body["loadBalancers"]?.arrayValue?.first?["containerPort"] == 80)
        let run = try renderer.render(try fixture("RunTaskRequest.yaml"), file: "run.yaml", kind: .runTaskRequest)
        #expect(run.body["count"] == 1)
    }

    @Test func describeTaskDefinitionOutputIsUnwrappedAndReadOnlyMembersDropped() throws {
        let text = """
            {"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/f:3", "family": "f", "revision": 3,
             "status": "ACTIVE", "registeredAt": "2026-01-01T00:00:00Z", "compatibilities": ["EC2"],
             "containerDefinitions": [{"name": "c", "image": "<+artifact.image>", "essential": true}]}}
            """
        let r = try renderer.render(text, file: "td.json", kind: .taskDefinition)
        #expect(r.body == ["family": "f", "containerDefinitions": [["name": "c", "image": "nginx:perl", "essential": true]]])
        #expect(Set(r.notes) == Set(["taskDefinitionArn", "revision", "status", "registeredAt", "compatibilities"].map { "dropped \($0): not a member of RegisterTaskDefinitionRequest" }))
    }

    @Test func describeServicesOutputIsAccepted() throws {
        let text = #"{"services": [{"serviceName": "myapp", "serviceArn": "arn:x", "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "taskDefinition": "arn:td:1", "clusterArn": "arn:c", "launchType": "FARGATE", "events": []}]}"#
        let r = try renderer.render(text, file: "svc.json", kind: .serviceDefinition)
        #expect(r.body == ["serviceName": "myapp", "desiredCount": 2, "launchType": "FARGATE"])
    }

    func errors(_ text: String, _ kind: ManifestKind = .taskDefinition, file: String = "m.yaml") -> [ManifestError] {
        do {
            _ = try renderer.render(text, file: file, kind: kind)
            return []
        } catch let e as ManifestErrors {
            return e.errors
        } catch {
            return [ManifestError(file: "?", message: "\(error)")]
        }
    }

    @Test func yamlSyntaxErrorPointsAtTheSpot() {
        let e = errors("family: f\ncontainerDefinitions:\n  - name: c\n    image: [unclosed\n")
        #expect(e.count == 1)
        #expect(e.first?.line != nil)
        #expect(e.first?.description.hasPrefix("m.yaml:") == true)
        #expect(e.first?.message.contains("syntax error") == true)
    }

    @Test func unknownMemberIsNamedWithLineColumnAndSuggestion() {
        let e = errors("family: f\ncontainerDefinitions:\n  - name: c\n    imagee: nginx\n")
        #expect(e.map(\.description) == ["m.yaml:4:5: containerDefinitions[0].imagee: unknown member 'imagee' of ContainerDefinition; did you mean 'image'?"])
    }

    @Test func wrongTypeIsNamed() {
        let e = errors("family: f\ncontainerDefinitions:\n  - name: c\n    memoryReservation: lots\n    essential: maybe\n")
        #expect(e.map(\.description) == [
            "m.yaml:4:24: containerDefinitions[0].memoryReservation: expected an integer from -2147483648 to 2147483647, got 'lots'",
            "m.yaml:5:16: containerDefinitions[0].essential: expected true or false, got 'maybe'",
        ])
    }

    @Test func unresolvedExpressionIsNamed() {
        let r = ManifestRenderer(variables: [:])
        do {
            _ = try r.render("family: f\ncontainerDefinitions:\n  - name: c\n    image: <+artifact.image>\n", file: "m.yaml", kind: .taskDefinition)
            Issue.record("expected an error")
        } catch let e as ManifestErrors {
            #expect(e.description == "m.yaml:4:12: containerDefinitions[0].image: cannot resolve expression '<+artifact.image>' (known: none)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func missingFamilyIsNamed() {
        #expect(errors("containerDefinitions:\n  - name: c\n    image: x\n").map(\.message) == ["missing required member 'family'"])
    }

    @Test func enumValuesAreChecked() {
        let e = errors("launchType: FARGAT\nserviceName: s\n", .serviceDefinition)
        #expect(e.first?.message.contains("'FARGAT' is not one of") == true)
    }

    @Test func clusterInTheManifestIsIgnoredWithANote() throws {
        let r = try renderer.render("serviceName: s\ncluster: other\n", file: "s.yaml", kind: .serviceDefinition)
        #expect(r.body == ["serviceName": "s"])
        #expect(r.notes.contains { $0.contains("cluster") })
    }

    @Test func expressionsInsideTextAndTypedWholeExpressions() throws {
        let r = ManifestRenderer(variables: ["app": ["name": "web", "count": 3]])
        let out = try r.render("serviceName: <+app.name>-svc\ndesiredCount: <+app.count>\n", file: "s.yaml", kind: .serviceDefinition)
        #expect(out.body == ["serviceName": "web-svc", "desiredCount": 3])
    }
}

@Suite struct DeploymentRequestTests {
    @Test func updateKeepsOnlyUpdatableMembersAndScalingGetsTheResourceId() throws {
        let svc: JSONValue = ["serviceName": "myapp", "launchType": "FARGATE", "desiredCount": 2, "deploymentConfiguration": ["maximumPercent": 200]]
        let r = DeploymentRequests(
            taskDefinition: ["family": "f"], service: svc, scalableTargets: [["MinCapacity": 1]], scalingPolicies: [["PolicyName": "P1"]],
            cluster: "c1", taskDefinitionArn: "arn:td:2", keepRunningCount: true, forceNewDeployment: true)
        #expect(r.createService == ["serviceName": "myapp", "launchType": "FARGATE", "desiredCount": 2, "deploymentConfiguration": ["maximumPercent": 200], "cluster": "c1", "taskDefinition": "arn:td:2"])
        #expect(r.updateService == ["service": "myapp", "cluster": "c1", "taskDefinition": "arn:td:2", "deploymentConfiguration": ["maximumPercent": 200], "forceNewDeployment": true])
        #expect(r.registerScalableTargets == [["MinCapacity": 1, "ResourceId": "service/c1/myapp"]])
        #expect(r.putScalingPolicies == [["PolicyName": "P1", "ResourceId": "service/c1/myapp"]])
    }

    @Test func variablesNestByDots() throws {
        #expect(try parseVariables(["artifact.image=nginx:perl", "a=b=c"]) == ["artifact": ["image": "nginx:perl"], "a": "b=c"])
        #expect(throws: ManifestErrors.self) { try parseVariables(["novalue"]) }
    }
}
