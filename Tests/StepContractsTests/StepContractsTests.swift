import DelegateProtocol
import Foundation
import StepContracts
import Testing

/// The wire contracts between pipelines, the manager and the steps: names, payload shapes, and the snapshot table.
@Suite struct StepContractsTests {
    @Test func taskTypesAreUniqueAndEncodeAsTheirWireNames() throws {
        #expect(Set(TaskType.ecsSteps).count == TaskType.ecsSteps.count)
        #expect(try JSONValue(encoding: TaskType.rollingDeploy) == .string("ecs.rolling.deploy"))
        let decoded = try JSONDecoder().decode([TaskType].self, from: Data(#"["ecs.canary.delete","vendor.custom"]"#.utf8))
        #expect(decoded == [.canaryDelete, TaskType("vendor.custom")])
    }

    @Test func everySnapshotKindIsUndoneByAKnownStepType() {
        for kind in SnapshotKind.allCases {
            if let type = kind.rollbackTaskType { #expect(TaskType.ecsSteps.contains(type), "\(kind)") }
        }
        #expect(SnapshotKind.runTask.rollbackTaskType == nil)
        #expect(SnapshotKind.blueGreen.rollbackTaskType == .blueGreenRollback)
    }

    @Test func piecesEncodeIntoOneFlatObjectThatEachPieceDecodesFrom() throws {
        let manifests = ServiceManifests(taskDefinition: ["path": "td.yaml"], serviceDefinition: ["path": "svc.yaml"])
        let deploy = RollingDeployPayload(cluster: "c", manifests: manifests, forceNewDeployment: true, stepId: "p/rolling-deploy")
        let wait = RolloutWait(steadyStateTimeoutSeconds: 30, failFast: false)
        let payload = try JSONValue.object(merging: [deploy, wait])
        #expect(payload["cluster"] == "c" && payload["steadyStateTimeoutSeconds"] == 30 && payload["failFast"] == false)
        #expect(payload["sameAsAlreadyRunningInstances"] == nil, "absent options stay absent")
        #expect(try payload.decode(as: RollingDeployPayload.self) == deploy)
        #expect(try payload.decode(as: RolloutWait.self) == wait)
    }

    @Test func blueGreenFollowUpsDecodeRoutingAndOptionsFromTheSameObject() throws {
        let routing = BlueGreenRouting(cluster: "c", newServiceName: "app__2", oldServiceName: "app__1", prodListenerArn: "pl", prodListenerRuleArn: "pr",
                                       stageListenerArn: "sl", stageListenerRuleArn: "sr", prodTargetGroupArn: "ptg", stageTargetGroupArn: "stg", isFirstDeployment: false)
        let object = try JSONValue.object(merging: [routing, ShiftTrafficOptions(weight: 50, stepId: "p/bluegreen-create")])
        let decoded = try object.decode(as: BlueGreenFollowUpPayload<ShiftTrafficOptions>.self)
        #expect(decoded.routing == routing && decoded.options.weight == 50)
        #expect(try JSONValue(encoding: decoded) == object)
    }

    @Test func validationNamesTheMemberInOneWording() {
        #expect(throws: PayloadProblem("payload member 'weight' must be from 0 to 100, got 101")) { try ShiftTrafficOptions(weight: 101).validate() }
        #expect(throws: PayloadProblem("payload member 'cluster' must not be empty")) { try ServiceScalePayload(cluster: "", serviceName: "s", desiredCount: 1).validate() }
        #expect(throws: PayloadProblem.member("desiredCount", "must be from 0 to \(ServiceScalePayload.maxDesiredCount), got -1")) {
            try ServiceScalePayload(cluster: "c", serviceName: "s", desiredCount: -1).validate()
        }
        #expect(throws: PayloadProblem("payload member 'canaryServiceName' or 'serviceName' is required")) { try CanaryDeletePayload(cluster: "c").validate() }
        #expect(throws: PayloadProblem.member(RolloutWait.timeoutMember, "must be from 1 to 86400, got 0")) { try RolloutWait(steadyStateTimeoutSeconds: 0).validate() }
        let artifact = ArtifactRequest(image: "", tag: "perl")
        #expect(throws: PayloadProblem.self) { try RollingDeployPayload(cluster: "c", manifests: ServiceManifests(taskDefinition: .null, serviceDefinition: .null), artifact: artifact).validate() }
    }

    @Test func rollbackInputsTakeTheServiceFromTheSnapshotUnlessTheOutputsNamedOne() throws {
        let rolling = RollbackInputs(snapshot: ["serviceName": "web", "service": ["desiredCount": 2]], stepId: "p/rolling-deploy", knownServiceName: nil)
        #expect(rolling.serviceName == "web" && rolling.stepId == "p/rolling-deploy")
        let blueGreen = RollbackInputs(snapshot: ["baseName": "app"], stepId: "p/bluegreen-create", knownServiceName: nil)
        #expect(blueGreen.serviceName == "app")
        let named = RollbackInputs(snapshot: ["serviceName": "web"], stepId: "s", knownServiceName: "web-from-outputs")
        #expect(named.serviceName == nil, "the outputs' name stays")
        let none = RollbackInputs(snapshot: nil, stepId: "s", knownServiceName: nil)
        #expect(try JSONValue(encoding: none) == ["stepId": "s"])
    }

    @Test func rollbackPayloadsDecodeFromOutputsPlusInputs() throws {
        let outputs = try JSONValue.outputs(ServiceRolloutOutputs(cluster: "c", serviceName: "web", serviceArn: "arn", taskDefinitionArn: "td:2", desiredCount: 2, deploymentId: "d", runningTaskArns: ["t"]))
        var payload = outputs
        for (k, v) in try JSONValue.outputs(RollbackInputs(snapshot: ["serviceName": "web"], stepId: "p/rolling-deploy", knownServiceName: "web")) { payload[k] = v }
        for (k, v) in try JSONValue.outputs(StepTarget(cluster: "c", stepId: "p/rolling-deploy"), RolloutWait()) { payload[k] = v }
        let decoded = try JSONValue.object(payload).decode(as: ServiceRollbackPayload.self)
        #expect(decoded == ServiceRollbackPayload(cluster: "c", serviceName: "web", snapshot: ["serviceName": "web"], stepId: "p/rolling-deploy"))
    }
}
