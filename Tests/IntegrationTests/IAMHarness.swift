import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient

/// Access keys of an IAM user created in the simulator.
struct IAMKeys: Sendable {
    let user: String
    let accessKeyId: String
    let secretAccessKey: String
}

/// The repository's least-privilege policy (`docs/iam-policy.json`), as text and parsed.
enum IAMPolicyDocument {
    static let path = repoRoot + "/docs/iam-policy.json"

    static func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func statements(_ text: String) throws -> [[String: Any]] {
        let doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return doc?["Statement"] as? [[String: Any]] ?? []
    }

    /// A statement's `Action` as a list (it may be one string).
    static func actions(_ statement: [String: Any]) -> [String] {
        if let one = statement["Action"] as? String { return [one] }
        return statement["Action"] as? [String] ?? []
    }

    /// The policy with `action` taken out of every statement (a statement left with no action is dropped).
    static func without(_ action: String, from text: String) throws -> String {
        var doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        var kept: [[String: Any]] = []
        for var s in try statements(text) {
            let left = actions(s).filter { $0 != action }
            if left.isEmpty { continue }
            s["Action"] = left
            kept.append(s)
        }
        doc["Statement"] = kept
        return String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// A seeded simulator that checks SigV4 and IAM policies, a manager, and a delegate tagged `ecs`.
///
/// Before enforcement is switched on (`POST /_awssim/iam`), a boto3 script creates: an admin user,
/// one user per entry of `policies` holding exactly that policy document, the manifest bucket, the
/// S3 `objects` (keyed `bucket/key`, buckets created as needed), and a listener rule on the prod
/// listener (so blue/green also routes through a rule).
/// From then on, every AWS call needs the keys of one of those users and their policy's permission.
struct IAMWorld {
    static let manifestBucket = "ecs-delegate-manifests-123456789012"

    let dir: Scratch
    let sim: Simulator
    let manager: ManagerProcess
    let delegate: DelegateProcess
    let client: ManagerClient
    let users: [String: IAMKeys]
    let admin: IAMKeys
    let prodRuleArn: String

    static func start(_ name: String, policies: [String: String], objects: (Simulator) throws -> [String: String] = { _ in [:] }, managerArgs: (Scratch) throws -> [String] = { _ in [] }) async throws -> IAMWorld {
        let dir = try Scratch(name)
        async let started = Simulator(dir: dir)
        let manager = try await ManagerProcess(dir: dir, extraArgs: try managerArgs(dir))
        let delegate = try DelegateProcess(dir: dir, name: "ecs-d", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["ecs"])
        let client = manager.client()
        let sim = try await started
        let input: [String: Any] = ["seed": sim.seed, "policies": policies, "bucket": manifestBucket, "objects": try objects(sim)]
        let inputPath = try dir.write("iam-setup.json", String(decoding: try JSONSerialization.data(withJSONObject: input), as: UTF8.self))
        let setup = try Child("/usr/bin/env", ["python3", "-c", setupScript, sim.endpoint, inputPath], dir: dir, name: "iam-setup")
        guard await setup.wait(timeout: .seconds(60)) == 0 else { throw HarnessError("IAM setup failed: \(setup.stderr)") }
        let out = (try JSONSerialization.jsonObject(with: Data(setup.stdout.utf8)) as? [String: Any]) ?? [:]
        func keys(_ v: Any?) -> IAMKeys? {
            guard let d = v as? [String: String], let id = d["accessKeyId"], let secret = d["secretAccessKey"] else { return nil }
            return IAMKeys(user: d["user"] ?? "", accessKeyId: id, secretAccessKey: secret)
        }
        var users: [String: IAMKeys] = [:]
        for (n, v) in out["users"] as? [String: Any] ?? [:] { users[n] = keys(v) }
        guard let admin = keys(out["admin"]), users.count == policies.count else { throw HarnessError("IAM setup answered: \(setup.stdout)") }
        let state = try JSONSerialization.jsonObject(with: try await sim.control("/_awssim/iam", #"{"enforce": true}"#)) as? [String: Any]
        guard state?["enforcing"] as? Bool == true else { throw HarnessError("IAM enforcement did not start: \(state ?? [:])") }
        _ = try await connectedDelegate(client, name: "ecs-d")
        return IAMWorld(dir: dir, sim: sim, manager: manager, delegate: delegate, client: client, users: users, admin: admin, prodRuleArn: out["prodRuleArn"] as? String ?? "")
    }

    /// The connector a task carries: the simulator, with `keys`.
    func connector(_ keys: IAMKeys) -> JSONValue {
        ["aws": ["region": "us-east-1", "endpoint": .string(sim.endpoint),
                 "credentials": ["kind": "static", "accessKeyId": .string(keys.accessKeyId), "secretAccessKey": .string(keys.secretAccessKey)]]]
    }

    /// Submits a task with `keys` in its connector and waits for it to end.
    func run(_ type: String, _ payload: JSONValue, execution: String, as keys: IAMKeys, timeout: Duration = .seconds(120)) async throws -> (TaskInfo, [String]) {
        let id = try await client.submit(SubmitTaskRequest(type: type, selectors: ["ecs"], payload: payload, executionId: execution, connector: connector(keys))).taskId
        let info = try await finished(client, id, timeout: timeout)
        return (info, try await allLines(client, taskId: id).map(\.text))
    }

    /// Whether the simulator is checking signatures and policies (`GET /_awssim/iam`).
    func enforcing() async throws -> Bool {
        let state = try JSONSerialization.jsonObject(with: try await sim.control("/_awssim/iam", "", method: "GET")) as? [String: Any]
        return state?["enforcing"] as? Bool == true
    }

    /// `service:Operation` of every API call since the counters were last reset (S3 REST calls as `s3:GET`), named as IAM names
    /// the action: CloudWatch signs as `monitoring`, its actions are `cloudwatch:*`.
    func calledActions() async throws -> Set<String> {
        var out = Set<String>()
        for (service, ops) in try await sim.calls() {
            guard let ops = ops as? [String: Any] else { continue }
            let prefix = service == "monitoring" ? "cloudwatch" : service
            for op in ops.keys { out.insert("\(prefix):\(op.split(separator: " ").first.map(String.init) ?? op)") }
        }
        return out
    }

    /// Runs a boto3 snippet with the admin user's keys (checks independent of the delegate); `out` is printed as JSON.
    /// The snippet sees `ecs`, `elb` and `aas` clients and `seed`.
    func admin(_ snippet: String) async throws -> JSONValue {
        let script = """
            import json, sys, boto3
            s = boto3.session.Session(aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name="us-east-1")
            ecs = s.client("ecs", endpoint_url=sys.argv[1])
            elb = s.client("elbv2", endpoint_url=sys.argv[1])
            aas = s.client("application-autoscaling", endpoint_url=sys.argv[1])
            seed = json.loads(sys.argv[4])
            out = None
            \(snippet.split(separator: "\n").joined(separator: "\n"))
            print(json.dumps(out, default=str))
            """
        let seedJSON = String(decoding: try JSONSerialization.data(withJSONObject: sim.seed), as: UTF8.self)
        let child = try Child("/usr/bin/env", ["python3", "-c", script, sim.endpoint, admin.accessKeyId, admin.secretAccessKey, seedJSON], dir: dir, name: "admin-\(UUID().uuidString.prefix(6))")
        guard await child.wait(timeout: .seconds(60)) == 0 else { throw HarnessError("admin snippet failed: \(child.stderr)") }
        return try JSONValue(parsing: Data(child.stdout.utf8))
    }

    static let setupScript = #"""
        import json, sys, boto3
        endpoint, input_path = sys.argv[1], sys.argv[2]
        spec = json.load(open(input_path))
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        iam = session.client("iam", endpoint_url=endpoint)
        def user(name, document):
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName=name + "-policy", PolicyDocument=document)
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return {"user": name, "accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}
        admin = user("awssim-admin", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        users = {name: user(name, document) for name, document in spec["policies"].items()}
        s3 = session.client("s3", endpoint_url=endpoint)
        buckets = {spec["bucket"]} | {path.split("/", 1)[0] for path in spec["objects"]}
        for bucket in sorted(buckets):
            s3.create_bucket(Bucket=bucket)
        for path, body in spec["objects"].items():
            bucket, key = path.split("/", 1)
            s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        seed = spec["seed"]
        elb = session.client("elbv2", endpoint_url=endpoint)
        rule = elb.create_rule(ListenerArn=seed["prodListenerArn"], Priority=10,
                               Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                               Actions=[{"Type": "forward", "TargetGroupArn": seed["prodTargetGroupArn"]}])
        print(json.dumps({"admin": admin, "users": users, "prodRuleArn": rule["Rules"][0]["RuleArn"]}))
        """#
}
