import DelegateProtocol
import Foundation
import Manifests
import Pipelines
import StepContracts
import Testing

/// Verify steps and a strategy's gate options: where the gates stand, what a bake becomes, and what the file refuses.
@Suite struct GatedStrategyTests {
    /// The plan of the rolling pipeline's head with `body` (a `strategy:` or `steps:` line) instead of its strategy.
    func plan(_ body: String) throws -> PipelinePlan {
        let text = rollingText.replacingOccurrences(of: "strategy: {type: rolling, forceNewDeployment: true}", with: body)
        return PipelinePlan(try PipelineFile.parse(text, file: "p.yaml", baseDirectory: try pipelineDir()))
    }

    let lb = "loadBalancer: alb, prodListener: '80', stageListener: '8080'"

    @Test func aBlueGreenHoldsBetweenCreateAndSwapInTheOrderBakeChecksApproval() throws {
        let p = try plan("strategy: {type: blueGreen, \(lb), bakeSeconds: 60, verify: [{kind: http, requests: 5}, {kind: targetHealth}], approval: {message: go?}}")
        #expect(p.steps.map(\.type.rawValue) == ["ecs.bluegreen.create", "manager.wait", "verify.http", "verify.targetHealth", "manager.approval", "ecs.bluegreen.swap"])
        #expect(p.steps.map(\.name) == ["Blue Green Create Service", "Bake 60 s", "Verify HTTP", "Verify Target Health", "Approval", "Blue Green Swap Target"])
        let http = try p.steps[2].payload.decode(as: HTTPVerifyPayload.self)
        #expect(http.url == "<+blueGreen.stageUrl>" && http.requests == 5, "an http check of a blue/green probes the stage listener by default")
        #expect(p.steps[4].gate == .approval(message: "go?") && p.steps[1].gate == .wait(seconds: 60))
        #expect(p.steps[1...4].allSatisfy { $0.rollback == nil } && p.problem == nil)
        // Blue/green with its gates is exactly the step list that says so.
        let listed = try plan("""
            steps: [{type: blueGreenCreate, \(lb)}, {type: wait, seconds: 60, name: Bake 60 s}, {type: verify, kind: http, requests: 5},
                    {type: verify, kind: targetHealth}, {type: approval, message: go?}, {type: blueGreenSwap}]
            """)
        #expect(listed == p)
    }

    @Test func aTrafficShiftIsCheckedAfterEveryWeightButTheLast() throws {
        let p = try plan("strategy: {type: blueGreenTrafficShift, \(lb), weights: [10, 50, 100], verify: {requests: 3}}")
        #expect(p.steps.map(\.type.rawValue) == ["ecs.bluegreen.create", "ecs.bluegreen.shiftTraffic", "verify.http", "ecs.bluegreen.shiftTraffic", "verify.http", "ecs.bluegreen.shiftTraffic"])
        #expect(p.steps.map(\.id) == ["myapp-rolling/bluegreen-create", "myapp-rolling/shift-10", "myapp-rolling/verify-http", "myapp-rolling/shift-50", "myapp-rolling/verify-http-2", "myapp-rolling/shift-100"])
    }

    @Test func aCanaryBakeWatchedByAlarmsIsTheAlarmCheckItself() throws {
        let watched = try plan("strategy: {type: canary, bakeSeconds: 120, verify: {kind: alarms, alarmNames: [a-5xx]}}")
        #expect(watched.steps.map(\.type.rawValue) == ["ecs.canary.deploy", "verify.alarms", "ecs.canary.delete", "ecs.rolling.deploy"])
        #expect(try watched.steps[1].payload.decode(as: AlarmsVerifyPayload.self) == AlarmsVerifyPayload(alarmNames: ["a-5xx"], windowSeconds: 120, stepId: "myapp-rolling/verify-alarms"))
        let plain = try plan("strategy: {type: canary, bakeSeconds: 120, verify: {kind: alarms, alarmNames: [a-5xx], windowSeconds: 30}}")
        #expect(plain.steps.map(\.type.rawValue) == ["ecs.canary.deploy", "manager.wait", "verify.alarms", "ecs.canary.delete", "ecs.rolling.deploy"], "an alarm check with its own window leaves the bake a wait")
        let approvalOnly = try plan("strategy: {type: canary, approval: true}")
        #expect(approvalOnly.steps.map(\.type.rawValue) == ["ecs.canary.deploy", "manager.approval", "ecs.canary.delete", "ecs.rolling.deploy"])
    }

    @Test func aStrategysCheckMayBeRetriedAndItsApprovalAborted() throws {
        let p = try plan("strategy: {type: blueGreen, \(lb), verify: {requests: 3, onFailure: {retry: {count: 2, intervalSeconds: 10}}}, approval: {onFailure: abort}}")
        #expect(p.steps.map(\.onFailure) == [nil, .retry(count: 2, intervalSeconds: 10), .abort, nil])
        #expect(try p.steps[1].payload.decode(as: HTTPVerifyPayload.self).requests == 3)
        #expect(throws: ManifestErrors.self) { _ = try plan("strategy: {type: blueGreen, \(lb), approval: {onFailure: {retry: {count: 1}}}}") }
    }

    @Test func verifyStepsCarryTheirTypedPayloads() throws {
        let p = try plan("""
            steps: [{type: rollingDeploy}, {type: verify, url: 'http://svc.internal/health', expectStatus: '200-299', expectBody: 'ok', minSuccessRatio: 0.9, connectTo: ['svc.internal:80:127.0.0.1:8080']},
                    {type: verify, kind: targetHealth, stableSeconds: 10, id: health}]
            """)
        let http = try p.steps[1].payload.decode(as: HTTPVerifyPayload.self)
        #expect(http == HTTPVerifyPayload(url: "http://svc.internal/health", expectStatus: "200-299", expectBody: "ok", minSuccessRatio: 0.9,
                                          connectTo: ["svc.internal:80:127.0.0.1:8080"], stepId: "myapp-rolling/verify-http"))
        let health = try p.steps[2].payload.decode(as: TargetHealthVerifyPayload.self)
        #expect(health.cluster == "ecs-tutorial" && health.stableSeconds == 10 && health.serviceName == nil && p.steps[2].id == "myapp-rolling/health")
        #expect(p.steps[1].type == .verifyHTTP && p.steps[2].type == .verifyTargetHealth && p.steps[1].rollback == nil)
    }

    @Test(arguments: [
        ("steps: [{type: rollingDeploy}, {type: verify}]", "needs 'url'"),
        ("steps: [{type: verify, kind: alarms}]", "needs 'alarmNames'"),
        ("steps: [{type: verify, kind: alarms, alarmNames: [a], url: 'http://x'}]", "'url' is not an option of a alarms verify"),
        ("steps: [{type: verify, kind: smoke, url: 'http://x'}]", "expected one of http, targetHealth, alarms"),
        ("steps: [{type: verify, url: 'ftp://x'}]", "url"),
        ("steps: [{type: verify, url: 'http://x', expectBody: '(unclosed'}]", "expectBody"),
        ("steps: [{type: verify, url: 'http://x', minSuccessRatio: 1.5}]", "minSuccessRatio"),
        ("steps: [{type: verify, url: 'http://x', connectTo: ['no spaces allowed:80:1.2.3.4:80']}]", "connectTo"),
        ("strategy: {type: canary, verify: {kind: http}}", "needs 'url'"),
        ("strategy: {type: rolling, approval: true}", "unknown key 'approval'"),
        ("strategy: {type: canary, bakeSeconds: 0}", "bakeSeconds"),
    ])
    func badChecksAreRefusedWithTheirPlace(body: String, message: String) throws {
        do {
            _ = try plan(body)
            Issue.record("accepted: \(body)")
        } catch let e as ManifestErrors {
            #expect("\(e)".contains(message), "\(e)")
        }
    }
}
