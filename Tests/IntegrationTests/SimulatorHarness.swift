import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The project's AWS simulator (`tools/awssim`) as a real process, seeded with the tutorial's world.
final class Simulator: @unchecked Sendable {
    let child: Child
    let endpoint: String
    let seed: [String: Any]
    let http = HTTPClient()

    init(dir: Scratch, timeScale: Double = 0.02) async throws {
        child = try Child("/usr/bin/env", ["python3", "-m", "awssim", "--port", "0", "--quiet", "--time-scale", "\(timeScale)"],
                          env: ["PYTHONPATH": repoRoot + "/tools/awssim"], dir: dir, name: "awssim")
        var ep = ""
        let c = child
        try await eventually(timeout: .seconds(120), "awssim listening") {
            guard let line = c.stdout.split(separator: "\n").first,
                  let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let e = obj["endpoint"] as? String else { return false }
            ep = e
            return true
        }
        endpoint = ep
        let seeder = try Child("/usr/bin/env", ["python3", "-m", "awssim", "seed", "--endpoint", ep], env: ["PYTHONPATH": repoRoot + "/tools/awssim"], dir: dir, name: "seed")
        guard await seeder.wait(timeout: .seconds(60)) == 0 else { throw HarnessError("seed failed: \(seeder.stderr)") }
        seed = (try JSONSerialization.jsonObject(with: Data(seeder.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    var cluster: String { seed["cluster"] as? String ?? "ecs-tutorial" }
    var securityGroup: String { seed["securityGroupId"] as? String ?? "" }
    var subnet: String { (seed["subnets"] as? [String])?.first ?? "" }

    /// The connector a task carries to reach the simulator.
    var connector: JSONValue {
        ["aws": ["region": "us-east-1", "endpoint": .string(endpoint), "credentials": ["kind": "static", "accessKeyId": "AKIDTESTING", "secretAccessKey": "sim-secret-key-value"]]]
    }

    /// POSTs to a control route.
    func control(_ path: String, _ body: String = "{}", method: String = "POST") async throws -> Data {
        let r = try await http.send(HTTPClientRequest(method: method, url: endpoint + path, headers: [("Content-Type", "application/json")], body: Data(body.utf8)))
        guard r.status < 300 else { throw HarnessError("\(path): \(r.status) \(String(decoding: r.body, as: UTF8.self))") }
        return r.body
    }

    /// The load balancer listeners the simulator serves on loopback (`GET /_awssim/listeners`): ARN, DNS name, port, protocol, loopback URL.
    func listeners() async throws -> [[String: Any]] {
        let body = try await control("/_awssim/listeners", "", method: "GET")
        return (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["listeners"] as? [[String: Any]] ?? []
    }

    /// API calls per service and operation since the last reset.
    func calls() async throws -> [String: Any] {
        let r = try await http.send(HTTPClientRequest(url: endpoint + "/_awssim/calls"))
        return (try JSONSerialization.jsonObject(with: r.body) as? [String: Any]) ?? [:]
    }

    /// Mutating ECS / Auto Scaling calls counted by the simulator.
    func mutatingCalls() async throws -> [String] {
        let all = try await calls()
        var out: [String] = []
        for (service, ops) in all {
            guard let ops = ops as? [String: Any] else { continue }
            for op in ops.keys where !(op.hasPrefix("Describe") || op.hasPrefix("List") || op.hasPrefix("Get")) {
                out.append("\(service):\(op)")
            }
        }
        return out
    }

    /// One JSON-protocol call to the simulator, answered as JSON (the signature is not checked there).
    func jsonCall(target: String, signingName: String, _ input: [String: Any]) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: input)
        let r = try await http.send(HTTPClientRequest(method: "POST", url: endpoint + "/", headers: [
            ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTESTING/20260101/us-east-1/\(signingName)/aws4_request, SignedHeaders=host, Signature=0"),
        ], body: body))
        return (try JSONSerialization.jsonObject(with: r.body) as? [String: Any]) ?? [:]
    }

    /// An ECS call, e.g. `ecs("ListTasks", ["cluster": ...])`.
    func ecs(_ op: String, _ input: [String: Any]) async throws -> [String: Any] {
        try await jsonCall(target: "AmazonEC2ContainerServiceV20141113.\(op)", signingName: "ecs", input)
    }

    /// DescribeServices for one service of the tutorial's cluster, with tags.
    func describeService(_ name: String) async throws -> [String: Any]? {
        let obj = try await ecs("DescribeServices", ["cluster": cluster, "services": [name], "include": ["TAGS"]])
        return (obj["services"] as? [[String: Any]])?.first
    }

    /// An Application Auto Scaling call (JSON protocol), answered as JSON.
    func autoScaling(_ op: String, _ input: [String: Any]) async throws -> [String: Any] {
        try await jsonCall(target: "AnyScaleFrontendService.\(op)", signingName: "application-autoscaling", input)
    }

    /// Runs a boto3 snippet against the simulator (an independent client, to check what our own one did); `out` is what it prints as JSON.
    ///
    /// The snippet sees `elb` and `ecs` clients and `seed`; it assigns its answer to `out`.
    func boto3(_ snippet: String, dir: Scratch) async throws -> JSONValue {
        let script = """
            import json, sys, boto3
            s = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
            elb = s.client("elbv2", endpoint_url=sys.argv[1])
            ecs = s.client("ecs", endpoint_url=sys.argv[1])
            seed = json.loads(sys.argv[2])
            out = None
            \(snippet.split(separator: "\n").joined(separator: "\n"))
            print(json.dumps(out, default=str))
            """
        let seedJSON = String(decoding: try JSONSerialization.data(withJSONObject: seed), as: UTF8.self)
        let child = try Child("/usr/bin/env", ["python3", "-c", script, endpoint, seedJSON], dir: dir, name: "boto3-\(UUID().uuidString.prefix(6))")
        guard await child.wait(timeout: .seconds(60)) == 0 else { throw HarnessError("boto3 snippet failed: \(child.stderr)") }
        return try JSONValue(parsing: Data(child.stdout.utf8))
    }

    deinit { child.signal(SIGTERM) }
}

/// The tutorial's manifests from the repository, with the user's placeholders filled for the simulator's world.
func tutorialManifest(_ name: String, sim: Simulator, edit: (String) -> String = { $0 }) throws -> JSONValue {
    let text = try String(contentsOfFile: repoRoot + "/Tests/ManifestsTests/Fixtures/" + name, encoding: .utf8)
        .replacingOccurrences(of: "<ecsInstanceRole Role ARN>", with: "arn:aws:iam::123456789012:role/ecsInstanceRole")
        .replacingOccurrences(of: "<Security Group Id>", with: sim.securityGroup)
        .replacingOccurrences(of: "<Subnet Id>", with: sim.subnet)
    return ["store": "inline", "identifier": .string(name), "path": .string("account:/ECS Tutorial/\(name)"), "content": .string(edit(text))]
}

/// An `ecs.rolling.deploy` payload for the tutorial's service.
func deployPayload(sim: Simulator, image: String, format: String = "yaml", scaling: Bool = false, editService: (String) -> String = { $0 }, editTask: (String) -> String = { $0 }) throws -> JSONValue {
    var manifests: [String: JSONValue] = [
        "taskDefinition": try tutorialManifest("RegisterTaskDefinitionRequest.\(format)", sim: sim, edit: editTask),
        "serviceDefinition": try tutorialManifest("CreateServiceRequest.\(format)", sim: sim, edit: editService),
    ]
    if scaling {
        manifests["scalableTargets"] = [try tutorialManifest("ScalableTarget.yaml", sim: sim)]
        manifests["scalingPolicies"] = [try tutorialManifest("ScalingPolicy.yaml", sim: sim)]
    }
    return ["cluster": .string(sim.cluster), "manifests": .object(manifests), "variables": ["artifact": ["image": .string(image)]], "steadyStateTimeoutSeconds": 120]
}

/// An `ecs.bluegreen.create` payload for the tutorial's service behind the seeded load balancer (prod listener by ARN, stage by port 8080).
func blueGreenCreatePayload(sim: Simulator, image: String, editTask: (String) -> String = { $0 }, extra: [String: JSONValue] = [:]) throws -> JSONValue {
    var p: [String: JSONValue] = [
        "cluster": .string(sim.cluster),
        "manifests": [
            "taskDefinition": try tutorialManifest("RegisterTaskDefinitionRequest.yaml", sim: sim, edit: editTask),
            "serviceDefinition": try tutorialManifest("BlueGreenCreateServiceRequest.yaml", sim: sim),
        ],
        "variables": ["artifact": ["image": .string(image)]],
        "loadBalancer": "ecs-tutorial-alb",
        "prodListener": .string(sim.seed["prodListenerArn"] as? String ?? ""),
        "stageListener": "8080",
        "steadyStateTimeoutSeconds": 120,
    ]
    for (k, v) in extra { p[k] = v }
    return .object(p)
}

/// A manager, a delegate tagged `ecs` and a seeded simulator.
struct ECSWorld {
    let dir: Scratch
    let sim: Simulator
    let manager: ManagerProcess
    var delegate: DelegateProcess
    let client: ManagerClient

    /// `delegateConfig` is added to the delegate's configuration file (YAML lines).
    static func start(_ name: String, managerArgs: [String] = [], delegateConfig: String = "") async throws -> ECSWorld {
        let dir = try Scratch(name)
        async let sim = Simulator(dir: dir)
        let manager = try await ManagerProcess(dir: dir, extraArgs: managerArgs)
        let delegate = try DelegateProcess(dir: dir, name: "ecs-d", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["ecs"], extra: delegateConfig)
        let client = manager.client()
        _ = try await connectedDelegate(client, name: "ecs-d")
        return ECSWorld(dir: dir, sim: try await sim, manager: manager, delegate: delegate, client: client)
    }

    /// Submits a task and waits for it to end.
    func run(_ type: String, _ payload: JSONValue, execution: String, secrets: [String: String]? = nil, timeout: Duration = .seconds(120)) async throws -> (TaskInfo, [String]) {
        let id = try await client.submit(SubmitTaskRequest(type: type, selectors: ["ecs"], payload: payload, executionId: execution, connector: sim.connector, secrets: secrets)).taskId
        let info = try await finished(client, id, timeout: timeout)
        return (info, try await allLines(client, taskId: id).map(\.text))
    }

    /// Submits a task without waiting.
    func submit(_ type: String, _ payload: JSONValue, execution: String) async throws -> String {
        try await client.submit(SubmitTaskRequest(type: type, selectors: ["ecs"], payload: payload, executionId: execution, connector: sim.connector)).taskId
    }
}

/// Asserts that `expected` appear in `lines` in this order (other lines may come between).
func inOrder(_ lines: [String], _ expected: [String]) -> String? {
    var i = 0
    for l in lines.map(untimed) where i < expected.count {
        if l.hasPrefix(expected[i]) { i += 1 }
    }
    return i == expected.count ? nil : "missing, in order: '\(expected[i])'"
}

/// A line `--follow` printed, without the time and level before its text (`2026-12-07T19:45:00.123Z INFO  `).
func untimed(_ line: String) -> String {
    let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 24, parts[0].hasSuffix("Z"), parts[0].dropFirst(10).hasPrefix("T"),
          ISO8601Millis.date(from: String(parts[0])) != nil else { return line }
    let level = parts[1].prefix { $0 != " " }
    return String(parts[1].dropFirst(level.count).dropFirst(max(1, 6 - level.count)))
}
