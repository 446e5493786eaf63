import DelegateProtocol
import Foundation
import ManagerClient
import Testing

/// `docs/iam-policy.json` proven on the simulator with SigV4 and IAM policy checks on: a user holding exactly
/// that policy runs every strategy's task sequence and the verify steps through a real manager and delegate; without
/// `ecs:UpdateService` the rolling update fails with AccessDenied.
@Suite struct IAMPolicyIntegrationTests {
    static let user = "ecs-delegate"
    static let noUpdate = "ecs-delegate-no-update-service"

    /// Actions AWS checks on the delegate's behalf, with no API call of that name (moto does not check them).
    static let permissionOnly: Set<String> = [
        "iam:PassRole", "iam:CreateServiceLinkedRole", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
    ]

    func check(_ step: String, _ result: (TaskInfo, [String]), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.0.state == "succeeded", "\(step): \(result.0.error?.message ?? "")\n\(result.1.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    func merged(_ outputs: [String: JSONValue]?, _ extra: [String: JSONValue]) -> JSONValue {
        var p = outputs ?? [:]
        for (k, v) in extra { p[k] = v }
        return .object(p)
    }

    @Test func everyStrategyRunsWithExactlyThePolicy() async throws {
        let started = ContinuousClock.now
        let policy = try IAMPolicyDocument.text()
        // The update's task definition is the tutorial's, fetched from S3 (the bucket the policy names).
        let w = try await IAMWorld.start("iam-all", policies: [Self.user: policy]) { sim in
            [IAMWorld.manifestBucket + "/myapp/RegisterTaskDefinitionRequest.yaml": try tutorialManifest("RegisterTaskDefinitionRequest.yaml", sim: sim)["content"]?.stringValue ?? ""]
        }
        // An alarm for verify.alarms, made with the admin's keys before the calls are counted.
        _ = try await w.admin("""
            cw = s.client("cloudwatch", endpoint_url=sys.argv[1])
            cw.put_metric_alarm(AlarmName="myapp-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
            out = True
            """)
        _ = try await w.sim.control("/_awssim/calls", method: "DELETE")
        #expect(try await w.enforcing())
        let me = try #require(w.users[Self.user])
        let cluster = JSONValue.string(w.sim.cluster)
        let seed = w.sim.seed

        // aws.validate and the look-ups.
        let validated = try await w.run("aws.validate", [:], execution: "lookups", as: me)
        check("aws.validate", validated)
        #expect(validated.0.outputs?["arn"]?.stringValue == "arn:aws:iam::123456789012:user/\(Self.user)", "the user's own keys were used")
        check("ecs.listClusters", try await w.run("ecs.listClusters", [:], execution: "lookups", as: me))
        check("elb.listLoadBalancers", try await w.run("elb.listLoadBalancers", [:], execution: "lookups", as: me))
        check("elb.listListeners", try await w.run("elb.listListeners", ["loadBalancerArn": .string(seed["loadBalancerArn"] as? String ?? "")], execution: "lookups", as: me))
        check("elb.listListenerRules", try await w.run("elb.listListenerRules", ["listenerArn": .string(seed["prodListenerArn"] as? String ?? "")], execution: "lookups", as: me))

        // Rolling: a first deployment with scaling, an update whose task definition comes from S3, its rollback.
        check("rolling deploy (first)", try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl", scaling: true), execution: "r1", as: me))
        var update = try deployPayload(sim: w.sim, image: "nginx:stable", scaling: true)
        update["manifests"]?["taskDefinition"] = ["store": "s3", "bucket": .string(IAMWorld.manifestBucket), "key": "myapp/RegisterTaskDefinitionRequest.yaml"]
        let updated = try await w.run("ecs.rolling.deploy", update, execution: "r2", as: me)
        check("rolling deploy (update, manifest from S3)", updated)
        #expect(updated.1.contains("Fetching EcsTaskDefinition from S3"), "\(updated.1.joined(separator: "\n"))")
        check("rolling rollback", try await w.run("ecs.rolling.rollback", ["cluster": cluster, "serviceName": "myapp"], execution: "r2", as: me))

        // Canary: deploy, delete, then the rolling deploy.
        let canary = try await w.run("ecs.canary.deploy", try deployPayload(sim: w.sim, image: "nginx:alpine"), execution: "c1", as: me)
        check("canary deploy", canary)
        check("canary delete", try await w.run("ecs.canary.delete", merged(canary.0.outputs, ["cluster": cluster]), execution: "c1", as: me))
        check("rolling deploy after the canary", try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:alpine", scaling: true), execution: "c1", as: me))

        // Scale and its rollback.
        check("scale", try await w.run("ecs.service.scale", ["cluster": cluster, "serviceName": "myapp", "desiredCount": 3], execution: "s1", as: me))
        check("scale rollback", try await w.run("ecs.service.scale.rollback", ["cluster": cluster, "serviceName": "myapp"], execution: "s1", as: me))

        // Run task, to completion.
        let runTask: JSONValue = [
            "cluster": cluster,
            "manifests": ["taskDefinition": try tutorialManifest("RegisterTaskDefinitionRequest.yaml", sim: w.sim), "runTaskRequest": try tutorialManifest("RunTaskRequest.yaml", sim: w.sim)],
            "variables": ["artifact": ["image": "busybox:ok"]], "waitForCompletion": true, "timeoutSeconds": 120,
        ]
        check("run task", try await w.run("ecs.runTask", runTask, execution: "t1", as: me))

        // Blue/green, prod through a listener rule (ModifyRule) and stage through the listener's default action (ModifyListener):
        // a first create and swap, then a create, a 50% traffic shift and the rollback.
        func blueGreen(_ image: String) throws -> JSONValue {
            try blueGreenCreatePayload(sim: w.sim, image: image, extra: ["prodListenerRule": .string(w.prodRuleArn)])
        }
        let created = try await w.run("ecs.bluegreen.create", try blueGreen("nginx:perl"), execution: "b1", as: me)
        check("blue/green create (first)", created)
        check("blue/green swap", try await w.run("ecs.bluegreen.swap", merged(created.0.outputs, [:]), execution: "b1", as: me))
        let second = try await w.run("ecs.bluegreen.create", try blueGreen("nginx:stable"), execution: "b2", as: me)
        check("blue/green create", second)
        let shifted = try await w.run("ecs.bluegreen.shiftTraffic", merged(second.0.outputs, ["weight": 50]), execution: "b2", as: me)
        check("blue/green shift traffic", shifted)

        // The verify steps on the new stage service: HTTP through its stage URL (no AWS call), its targets' health, an alarm.
        let stageArn = second.0.outputs?["stageListenerArn"]?.stringValue
        let loopback = try #require(try await w.sim.listeners().first { $0["listenerArn"] as? String == stageArn }?["url"] as? String)
        let stageUrl = try #require(second.0.outputs?["stageUrl"]?.stringValue)
        let mapping = "\(stageUrl.dropFirst("http://".count)):\(loopback.dropFirst("http://".count))"
        check("verify.http", try await w.run("verify.http", ["url": .string(stageUrl), "requests": 3, "intervalSeconds": 0, "connectTo": [.string(mapping)]], execution: "b2", as: me))
        check("verify.targetHealth", try await w.run("verify.targetHealth", merged(second.0.outputs, ["stableSeconds": 0]), execution: "b2", as: me))
        check("verify.alarms", try await w.run("verify.alarms", ["alarmNames": ["myapp-5xx"], "windowSeconds": 0], execution: "b2", as: me))
        check("blue/green rollback", try await w.run("ecs.bluegreen.rollback", merged(second.0.outputs, [:]), execution: "b2", as: me))

        // Least privilege: every API action the policy grants was needed by one of these steps, and nothing else was called.
        let called = try await w.calledActions().map { $0 == "s3:GET" ? "s3:GetObject" : $0 }
        let granted = Set(try IAMPolicyDocument.statements(policy).flatMap(IAMPolicyDocument.actions))
        #expect(Set(called).subtracting(granted).isEmpty, "called but not granted: \(Set(called).subtracting(granted).sorted())")
        #expect(granted.subtracting(called).subtracting(Self.permissionOnly).sorted() == [], "granted but never called")
        #expect(Self.permissionOnly.isSubset(of: granted))
        #expect(try await w.enforcing(), "enforcement was on throughout")
        print("IAMPolicyIntegrationTests: every strategy with exactly docs/iam-policy.json in \(ContinuousClock.now - started)")
    }

    @Test func theDocumentExplainsEveryStatement() throws {
        let doc = try String(contentsOfFile: repoRoot + "/docs/iam-policy.md", encoding: .utf8)
        let statements = try IAMPolicyDocument.statements(try IAMPolicyDocument.text())
        #expect(statements.count > 10)
        for s in statements {
            let sid = s["Sid"] as? String ?? "?"
            #expect(doc.contains("| `\(sid)` |"), "docs/iam-policy.md has no row for \(sid)")
            #expect(s["Effect"] as? String == "Allow", "\(sid)")
            for action in IAMPolicyDocument.actions(s) {
                #expect(!action.contains("*"), "\(sid): \(action) is a wildcard")
                let name = String(action.split(separator: ":").last ?? "")
                #expect(doc.contains(name), "docs/iam-policy.md does not mention \(action)")
            }
        }
    }

    @Test func withoutUpdateServiceTheRollingUpdateFailsWithAccessDenied() async throws {
        let policy = try IAMPolicyDocument.text()
        let restricted = try IAMPolicyDocument.without("ecs:UpdateService", from: policy)
        #expect(!restricted.contains("ecs:UpdateService") && restricted.contains("ecs:CreateService"))
        let w = try await IAMWorld.start("iam-deny", policies: [Self.user: policy, Self.noUpdate: restricted]) { sim in
            ["team-bucket/myapp/RegisterTaskDefinitionRequest.yaml": try tutorialManifest("RegisterTaskDefinitionRequest.yaml", sim: sim)["content"]?.stringValue ?? ""]
        }
        let full = try #require(w.users[Self.user])
        let limited = try #require(w.users[Self.noUpdate])

        // Keys the simulator does not know are refused: enforcement is on.
        let stranger = IAMKeys(user: "nobody", accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "not-a-secret")
        let refused = try await w.run("aws.validate", [:], execution: "v", as: stranger)
        #expect(refused.0.state == "failed" && refused.0.error?.message.contains("InvalidClientTokenId") == true, "\(refused.0.error?.message ?? "")")

        let first = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "d1", as: full)
        check("first deployment with the full policy", first)

        // s3:GetObject is scoped to the manifest buckets: a manifest elsewhere is refused before any change.
        var elsewhere = try deployPayload(sim: w.sim, image: "nginx:stable")
        elsewhere["manifests"]?["taskDefinition"] = ["store": "s3", "bucket": "team-bucket", "key": "myapp/RegisterTaskDefinitionRequest.yaml"]
        let outside = try await w.run("ecs.rolling.deploy", elsewhere, execution: "d0", as: full)
        #expect(outside.0.state == "failed" && outside.0.error?.code == "manifest_fetch", "\(outside.0.error?.message ?? "")")
        #expect(outside.0.error?.message.contains("cannot fetch s3://team-bucket/myapp/RegisterTaskDefinitionRequest.yaml") == true
                && outside.0.error?.message.contains("AccessDenied") == true, "\(outside.0.error?.message ?? "")")

        let (info, log) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:stable"), execution: "d2", as: limited)
        #expect(info.state == "failed")
        // The code names what AWS answered, so a pipeline or an alert can tell a denial from throttling.
        #expect(info.error?.code == "aws.AccessDeniedException", "\(info.error?.code ?? "-")")
        let message = info.error?.message ?? ""
        #expect(message.contains("AccessDenied") && message.contains("ecs:UpdateService") && message.contains("user/\(Self.noUpdate)"), "\(message)")
        #expect(message.contains("already changed: registered task definition fargate-task-definition:2"), "\(message)")
        #expect(log.contains { $0.contains("AccessDenied") && $0.contains("ecs:UpdateService") }, "\(log.joined(separator: "\n"))")
        // Denied means not done: the service still runs the first revision (seen with the admin's keys).
        let service = try await w.admin("""
            out = ecs.describe_services(cluster=seed["cluster"], services=["myapp"])["services"][0]["taskDefinition"]
            """)
        #expect(service.stringValue?.hasSuffix("fargate-task-definition:1") == true, "\(service)")
        print("IAMPolicyIntegrationTests: denied update: code \(info.error?.code ?? "-"): \(message)")
    }

    @Test func pipelinesRunWithThePolicyAndADeniedUpdateIsRolledBack() async throws {
        let policy = try IAMPolicyDocument.text()
        let restricted = try IAMPolicyDocument.without("ecs:UpdateService", from: policy)
        let w = try await IAMWorld.start("iam-pipelines", policies: [Self.user: policy, Self.noUpdate: restricted], managerArgs: { dir in
            ["--secrets-key-file", try secretsKeyFile(dir)]
        })
        let full = try #require(w.users[Self.user])
        let limited = try #require(w.users[Self.noUpdate])
        try await storeConnector("aws-policy", endpoint: w.sim.endpoint, keyId: full.accessKeyId, secret: full.secretAccessKey, client: w.client, manager: w.manager, dir: w.dir)
        try await storeConnector("aws-no-update", endpoint: w.sim.endpoint, keyId: limited.accessKeyId, secret: limited.secretAccessKey, client: w.client, manager: w.manager, dir: w.dir)
        let lb = "{type: blueGreen, loadBalancer: ecs-tutorial-alb, prodListener: '80', stageListener: '8080'}"
        for (name, strategy, image) in [("myapp-rolling", "{type: rolling}", "nginx:perl"), ("myapp-canary", "{type: canary}", "nginx:stable"),
                                        ("myapp-bg", lb, "nginx:perl"), ("myapp-job", "{type: runTask, waitForCompletion: true}", "busybox:ok")] {
            let file = try tutorialPipeline(dir: w.dir, sim: w.sim, name: name, connector: "aws-policy", strategy: strategy, image: image)
            let (status, out, err) = try await runPipeline(file, name, manager: w.manager, dir: w.dir)
            #expect(status == 0, "\(name) with exactly the policy: \(err)\n\(out)")
        }
        // Without ecs:UpdateService the update is denied; nothing changed the service, so the rollback needs no update either.
        let file = try tutorialPipeline(dir: w.dir, sim: w.sim, name: "myapp-rolling", connector: "aws-no-update", strategy: "{type: rolling}", image: "nginx:alpine")
        let (status, out, err) = try await runPipeline(file, "denied", manager: w.manager, dir: w.dir)
        #expect(status == 1, "\(err)\n\(out)")
        #expect(out.contains("AccessDenied") && out.contains("ecs:UpdateService"), "\(out)")
        #expect(out.contains("== Rollback: Rolling Rollback ==") && out.contains("failed and was rolled back"), "\(out)")
    }
}
