import AWSCore
import AWSServices
import AWSSigV4
import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import ManagerClient
import Testing
import ECSSteps

/// Details of the ECS steps against the simulator: shared polls, the Git store, cancellation mid-deployment.
@Suite(.serialized) struct ECSStepsDetailTests {
    @Test func concurrentWaitersOnOneClusterShareDescribeServicesCalls() async throws {
        let dir = try Scratch("poller")
        let sim = try await Simulator(dir: dir)
        let client = AWSClient(
            credentialProvider: StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIDTESTING", secretAccessKey: "x")), httpClient: HTTPClient(),
            configuration: AWSClientConfiguration(region: "us-east-1", endpointOverride: sim.endpoint), logger: Logger(label: "test"))
        let poller = ServicePoller(ecs: ECS(client: client), window: .milliseconds(50))
        _ = try await sim.control("/_awssim/calls", method: "DELETE")
        let names = (1...12).map { "svc\($0)" }
        let answers = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for n in names { group.addTask { try await poller.describe(cluster: sim.cluster, service: n) } }
            var out: [JSONValue?] = []
            for try await a in group { out.append(a) }
            return out
        }
        #expect(answers.count == 12 && answers.allSatisfy { $0 == nil }, "no such services: MISSING for each")
        let calls = try await sim.calls()
        // 12 waiters, one window: two calls (10 + 2 services), not twelve.
        #expect((calls["ecs"] as? [String: Any])?["DescribeServices"] as? Int == 2)
        #expect(await poller.calls == 2)
    }

    @Test func manifestsFromAGitRepositoryOverHTTPWithCredentialsFromSecrets() async throws {
        let w = try await ECSWorld.start("git", delegateConfig: "git_protocols: [https, http]")
        let root = w.dir.file("git-root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let password = "git-token-\(UUID().uuidString)"
        let server = try await GitHTTPServer(dir: w.dir, root: root, user: "deployer", password: password)
        var files: [String: String] = [:]
        for name in ["RegisterTaskDefinitionRequest.yaml", "CreateServiceRequest.yaml"] {
            files["ecs/" + name] = try String(contentsOfFile: repoRoot + "/Tests/ManifestsTests/Fixtures/" + name, encoding: .utf8)
                .replacingOccurrences(of: "<ecsInstanceRole Role ARN>", with: "arn:aws:iam::123456789012:role/ecsInstanceRole")
                .replacingOccurrences(of: "<Security Group Id>", with: w.sim.securityGroup).replacingOccurrences(of: "<Subnet Id>", with: w.sim.subnet)
        }
        let url = try await server.repository("manifests", files: files)
        func ref(_ path: String) -> JSONValue {
            ["store": "git", "url": .string(url), "ref": "main", "path": .string(path), "usernameSecret": "git_user", "passwordSecret": "git_token"]
        }
        let payload: JSONValue = [
            "cluster": .string(w.sim.cluster), "variables": ["artifact": ["image": "nginx:perl"]],
            "manifests": ["taskDefinition": ref("ecs/RegisterTaskDefinitionRequest.yaml"), "serviceDefinition": ref("ecs/CreateServiceRequest.yaml")],
        ]
        let secrets = ["git_user": "deployer", "git_token": password]
        let (info, log) = try await w.run("ecs.rolling.deploy", payload, execution: "git", secrets: secrets)
        #expect(info.state == "succeeded", "\(info.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(inOrder(log, ["Fetching EcsTaskDefinition from Git", "- ecs/RegisterTaskDefinitionRequest.yaml", "Successfully fetched following files:", "Deployment Successful."]) == nil)
        #expect(!log.joined().contains(password), "the token never reaches the log")
        #expect(server.child.stderr.contains("git-upload-pack"), "a smart-HTTP fetch: \(server.child.stderr)")

        var missing = payload
        missing["manifests"]?["taskDefinition"]?["path"] = "ecs/nope.yaml"
        let (bad, _) = try await w.run("ecs.rolling.deploy", missing, execution: "git2", secrets: secrets)
        #expect(bad.state == "failed")
        #expect(bad.error?.message.contains("ecs/nope.yaml not found in \(url) at main") == true, "\(bad.error?.message ?? "")")

        // A wrong token is git's refusal, not a prompt that hangs.
        let (denied, _) = try await w.run("ecs.rolling.deploy", payload, execution: "git3", secrets: ["git_user": "deployer", "git_token": "wrong"])
        #expect(denied.state == "failed")
        #expect(denied.error?.message.contains("git fetch of \(url) at main failed") == true, "\(denied.error?.message ?? "")")
    }

    @Test func aDelegateFetchesOnlyOverTheTransportsItsConfigurationAllows() async throws {
        // The default is https only: the same http repository is refused by the delegate before git runs.
        let w = try await ECSWorld.start("git-https-only")
        let root = w.dir.file("git-root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let server = try await GitHTTPServer(dir: w.dir, root: root)
        let url = try await server.repository("m", files: ["td.yaml": "family: f\n"])
        let payload: JSONValue = [
            "cluster": .string(w.sim.cluster),
            "manifests": ["taskDefinition": ["store": "git", "url": .string(url), "ref": "main", "path": "td.yaml"], "serviceDefinition": ["store": "git", "url": .string(url), "ref": "main", "path": "td.yaml"]],
        ]
        let (info, _) = try await w.run("ecs.rolling.deploy", payload, execution: "h")
        #expect(info.state == "failed")
        #expect(info.error?.code == "invalid_payload", "\(info.error?.code ?? "")")
        #expect(info.error?.message.contains("git.url uses http://, which this delegate does not fetch over (its git_protocols: https)") == true, "\(info.error?.message ?? "")")
        #expect(!server.child.stderr.contains("GET"), "no request reached the server: \(server.child.stderr)")
    }

    @Test func aDeploymentCancelledMidwaySaysWhatItChanged() async throws {
        let w = try await ECSWorld.start("cancel", managerArgs: ["--heartbeat-seconds", "1"])
        let (ok, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "c1")
        #expect(ok.state == "succeeded")
        _ = try await w.sim.control("/_awssim/faults/images", #"{"pattern": "nginx:slow", "startDelaySeconds": 6000}"#)
        let id = try await w.submit("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:slow"), execution: "c2")
        try await eventually(timeout: .seconds(60), "the update was sent") {
            try await allLines(w.client, taskId: id).contains { $0.text.hasPrefix("Updating Service myapp") }
        }
        try await w.client.cancel(taskId: id)
        let info = try await finished(w.client, id, timeout: .seconds(30))
        #expect(info.state == "cancelled")
        #expect(info.error?.message.contains("already changed: registered task definition fargate-task-definition:2; updated service myapp to fargate-task-definition:2") == true, "\(info.error?.message ?? "")")
        #expect(info.rollbackSnapshot?["service"]?["taskDefinition"]?.stringValue?.hasSuffix(":1") == true)
    }

    @Test func validateConnectorAndManifestsFromS3() async throws {
        let w = try await ECSWorld.start("s3")
        let (valid, vlog) = try await w.run("aws.validate", [:], execution: "v")
        #expect(valid.state == "succeeded", "\(valid.error?.message ?? "")")
        #expect(valid.outputs?["account"] == "123456789012")
        #expect(valid.outputs?["clusters"]?.arrayValue?.contains { $0.stringValue?.hasSuffix("cluster/\(w.sim.cluster)") == true } == true)
        #expect(vlog.contains { $0.hasPrefix("Authenticated as arn:aws:") })

        // Put the tutorial's task definition in the simulator's S3 (path style), then deploy from it.
        let td = try tutorialManifest("RegisterTaskDefinitionRequest.yaml", sim: w.sim)["content"]?.stringValue ?? ""
        let auth = ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTESTING/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
        for (url, body) in [(w.sim.endpoint + "/manifests", Data()), (w.sim.endpoint + "/manifests/ecs%20tutorial/td.yaml", Data(td.utf8))] {
            let r = try await w.sim.http.send(HTTPClientRequest(method: "PUT", url: url, headers: [auth], body: body))
            #expect(r.status == 200, "PUT \(url): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        var payload = try deployPayload(sim: w.sim, image: "nginx:perl")
        payload["manifests"]?["taskDefinition"] = ["store": "s3", "bucket": "manifests", "key": "ecs tutorial/td.yaml"]
        let (info, log) = try await w.run("ecs.rolling.deploy", payload, execution: "s3")
        #expect(info.state == "succeeded", "\(info.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(inOrder(log, ["Fetching EcsTaskDefinition from S3", "- s3://manifests/ecs tutorial/td.yaml", "Successfully fetched following files:", "Deployment Successful."]) == nil)
    }

    @Test func throttledPollsBackOffAndTheDeploymentStillSucceeds() async throws {
        let w = try await ECSWorld.start("throttle")
        let (ok, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl"), execution: "t1")
        #expect(ok.state == "succeeded")
        _ = try await w.sim.control("/_awssim/faults/api", #"{"service": "ecs", "operations": ["DescribeServices"], "error": "throttling", "rate": 0.6}"#)
        let (info, log) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:stable"), execution: "t2")
        #expect(info.state == "succeeded", "\(info.error?.message ?? "")\n\(log.joined(separator: "\n"))")
        #expect(log.contains("Deployment Successful."))
        let calls = try await w.sim.calls()
        let describes = (calls["ecs"] as? [String: Any])?["DescribeServices"] as? Int ?? 0
        // Throttled attempts are retried, but not in a tight loop.
        #expect(describes < 60)
    }

    @Test func sameAsAlreadyRunningKeepsTheCountAndForceNewDeploymentIsSent() async throws {
        let w = try await ECSWorld.start("samecount")
        let two: (String) -> String = { $0.replacingOccurrences(of: "desiredCount: 1", with: "desiredCount: 2") }
        let (first, _) = try await w.run("ecs.rolling.deploy", try deployPayload(sim: w.sim, image: "nginx:perl", editService: two), execution: "n1")
        #expect(first.state == "succeeded")
        // The manifest says 1, the service runs 2: "same as already running" keeps 2.
        var payload = try deployPayload(sim: w.sim, image: "nginx:stable")
        payload["sameAsAlreadyRunningInstances"] = true
        payload["forceNewDeployment"] = true
        let (second, log) = try await w.run("ecs.rolling.deploy", payload, execution: "n2")
        #expect(second.state == "succeeded", "\(second.error?.message ?? "")")
        #expect(log.contains { $0.hasPrefix("Updating Service myapp with task definition") && $0.hasSuffix("and desired count 2") })
        #expect(second.outputs?["desiredCount"] == 2)
        #expect(try await w.sim.describeService("myapp")?["desiredCount"] as? Int == 2)
    }
}
