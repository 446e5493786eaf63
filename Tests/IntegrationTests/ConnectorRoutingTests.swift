import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing

/// Stored connectors and secrets end to end: `ecs-manager` and two `ecs-delegate`s as real processes.
@Suite(.serialized) struct ConnectorRoutingTests {
    static let secretValue = "it-s3cret-VALUE-5d2e1a"
    static let keyId = "AKIDINTEGRATION42"

    /// A mode-0600 secrets key file (64 hex characters) in `dir`.
    static func keyFile(_ dir: Scratch) throws -> String {
        let path = try dir.write("secrets.key", (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n")
        chmod(path, 0o600)
        return path
    }

    /// A manager with secrets on and a short heartbeat, so a stopped delegate shows as gone within seconds.
    static func manager(_ dir: Scratch) async throws -> ManagerProcess {
        try await ManagerProcess(dir: dir, extraArgs: ["--secrets-key-file", try keyFile(dir), "--heartbeat-seconds", "1", "--poll-wait-seconds", "2", "--lease-seconds", "5"])
    }

    /// Stores the two secrets through `secret set` (values on standard input) and applies the `aws-prod` connector file.
    static func seed(_ manager: ManagerProcess, _ dir: Scratch, endpoint: String = "http://127.0.0.1:4566", keyId: String = keyId, secret: String = secretValue) async throws {
        for (name, value) in [("prod-key-id", keyId), ("prod-secret", secret)] {
            let set = try await cli(manager, ["secret", "set", name], stdin: value + "\n")
            #expect(set.status == 0, "secret set: \(set.stderr)")
            #expect(!set.stdout.contains(value) && !set.stderr.contains(value))
        }
        let file = try dir.write("aws-prod.yaml", """
            name: aws-prod
            type: aws
            region: us-east-1
            endpoint: \(endpoint)
            credentials:
              kind: static
              accessKeyIdSecret: prod-key-id
              secretAccessKeySecret: prod-secret
            delegateSelectors: [prod]
            """)
        let apply = try await cli(manager, ["connector", "apply", file])
        #expect(apply.status == 0 && apply.stdout.contains("connector aws-prod created"), "\(apply.stderr)")
    }

    /// Queues `delegate.echo` using the stored connector, printing the secret (which the delegate masks).
    static func submit(_ client: ManagerClient) async throws -> TaskReport {
        try #require(try await client.call("POST", "/v1/tasks", body: TaskSubmission(
            SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: ["lines": ["key=<+secrets.prod-secret>"]]), connectorName: "aws-prod"), as: TaskReport.self))
    }

    @Test func everyTaskUsingTheProdConnectorRunsOnTheProdDelegateAndWaitsWhileItIsGone() async throws {
        let dir = try Scratch("connector-routing")
        let manager = try await Self.manager(dir)
        let client = manager.client()
        try await Self.seed(manager, dir)
        let dev = try DelegateProcess(dir: dir, name: "dev", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["dev"])
        var prod = try DelegateProcess(dir: dir, name: "prod", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["prod"])
        _ = try await connectedDelegate(client, name: "dev")
        let prodId = try await connectedDelegate(client, name: "prod")

        var reports: [TaskReport] = []
        for _ in 0..<4 { reports.append(try await Self.submit(client)) }
        let payload = try dir.write("echo.json", #"{"lines": ["via the CLI"]}"#)
        let viaCLI = try await cli(manager, ["submit", "--type", "delegate.echo", "--connector-name", "aws-prod", "--payload", payload, "--follow", "--no-timestamps"])
        #expect(viaCLI.status == 0 && viaCLI.stdout == "via the CLI\n", "\(viaCLI.stderr)")
        for r in reports {
            let done = try await finished(client, r.taskId)
            #expect(done.state == "succeeded" && done.delegateId == prodId, "\(done)")
            #expect(try await allLines(client, taskId: r.taskId).map(\.text) == ["key=**************"], "the delegate had the secret and masked it")
        }
        let listed = try await cli(manager, ["tasks", "-o", "wide"])
        let rows = listed.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first?.prefix(5) == ["ID", "TYPE", "STATE", "DELEGATE", "CONNECTOR"], "\(listed.stdout)")
        #expect(rows.filter { $0.count > 4 && $0[4] == "aws-prod" }.count == 5, "\(listed.stdout)")
        #expect(rows.allSatisfy { $0.count <= 4 || $0[4] != "aws-prod" || $0[3] == prodId }, "\(listed.stdout)")

        // The prod delegate stops: the task waits, saying which tag no connected delegate has.
        prod.child.signal(SIGTERM)
        #expect(await prod.child.wait(timeout: .seconds(120)) == 0)
        let waiting = try await Self.submit(client)
        try await eventually(timeout: .seconds(15), "waiting reason names the tag") {
            try await client.call("GET", "/v1/tasks/\(waiting.taskId)", as: TaskReport.self)?.waitingReason?.hasPrefix("no connected delegate has tag prod") == true
        }
        let test = try await cli(manager, ["connector", "test", "aws-prod"])
        #expect(test.status == 1 && test.stderr.contains("no connected delegate has tag prod"), "\(test.stderr)")
        try await Task.sleep(for: .seconds(1))
        let stillWaiting = try await client.task(waiting.taskId)
        #expect(stillWaiting.state == "queued", "the dev delegate never takes it: \(stillWaiting)")

        // It comes back (same state directory, same identity): the task finishes there.
        prod = try DelegateProcess(dir: dir, name: "prod", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["prod"])
        let done = try await finished(client, waiting.taskId)
        #expect(done.state == "succeeded" && done.delegateId == prodId)
        _ = (dev, prod)

        // The secret is nowhere in the manager's files or its output.
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.file("manager-data")) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("manager-data") + "/" + file))
            #expect(bytes.range(of: Data(Self.secretValue.utf8)) == nil, "\(file) holds the secret")
            #expect(bytes.range(of: Data(Self.keyId.utf8)) == nil, "\(file) holds the key id")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("manager-data"))
        #expect(files.contains("manager.sqlite") && files.contains("manager.sqlite-wal") && files.contains("manager.sqlite-shm"))
        let output = (manager.child?.stdout ?? "") + (manager.child?.stderr ?? "")
        #expect(output.contains("secret created") && !output.contains(Self.secretValue) && !output.contains(Self.keyId))
    }

    @Test func aQueuedConnectorTaskRunsWithItsSecretsAfterAManagerRestart() async throws {
        let dir = try Scratch("connector-restart")
        let manager = try await Self.manager(dir)
        try await Self.seed(manager, dir)
        let dev = try DelegateProcess(dir: dir, name: "dev", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["dev"])
        _ = try await connectedDelegate(manager.client(), name: "dev")
        let queued = try await Self.submit(manager.client())
        let inline = try await manager.client().submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["prod"], payload: ["lines": ["x"]], secrets: ["pw": "inline-only"]))

        await manager.stop(SIGKILL)
        try await manager.start()
        let client = manager.client()
        let prod = try DelegateProcess(dir: dir, name: "prod", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["prod"])
        let done = try await finished(client, queued.taskId)
        #expect(done.state == "succeeded", "\(done)")
        #expect(try await allLines(client, taskId: queued.taskId).map(\.text) == ["key=**************"], "the secret reference resolved after the restart")
        let lost = try await finished(client, inline.taskId)
        #expect(lost.state == "failed" && lost.error?.code == "secrets.lost", "inline secrets still do not survive a restart")
        _ = (dev, prod)
    }

    @Test func connectorTestValidatesTheAccountThroughTheProdDelegate() async throws {
        let dir = try Scratch("connector-test")
        let sim = try await Simulator(dir: dir)
        let manager = try await Self.manager(dir)
        try await Self.seed(manager, dir, endpoint: sim.endpoint, keyId: "AKIDTESTING", secret: "sim-secret-key-value")
        let dev = try DelegateProcess(dir: dir, name: "dev", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["dev"])
        let prod = try DelegateProcess(dir: dir, name: "prod", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["prod"])
        _ = try await connectedDelegate(manager.client(), name: "dev")
        let prodId = try await connectedDelegate(manager.client(), name: "prod")
        let test = try await cli(manager, ["connector", "test", "aws-prod"])
        #expect(test.status == 0, "\(test.stderr)\n\(test.stdout)")
        #expect(test.stdout.contains("connector aws-prod: ok (delegate \(prodId))"), "\(test.stdout)")
        #expect(!test.stdout.contains("sim-secret-key-value"))
        let list = try await cli(manager, ["connector", "list"])
        let cells = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(cells.count == 2 && cells[0] == ["NAME", "TYPE", "REGION", "CREDENTIALS", "DELEGATE", "SELECTORS", "UPDATED"], "\(list.stdout)")
        #expect(cells.count == 2 && cells[1].prefix(5) == ["aws-prod", "aws", "us-east-1", "static", "prod"], "\(list.stdout)")
        let secrets = try await cli(manager, ["secret", "list"])
        let names: [String] = secrets.stdout.split(separator: "\n").dropFirst().map { line in String(line.prefix { $0 != " " }) }
        #expect(names == ["prod-key-id", "prod-secret"])
        _ = (dev, prod)
    }
}

/// Runs `ecs-manager ARGS` against `manager` with `stdin` on standard input, with the token in `tokenFile` (default: the bootstrap key); returns its status and output.
func cli(_ manager: ManagerProcess, _ args: [String], stdin: String = "", tokenFile: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try Child(binDir + "/ecs-manager", args + ["--manager", manager.url, "--token-file", tokenFile ?? manager.tokenFile],
                          stdin: stdin, dir: manager.dir, name: "cli-\(UUID().uuidString.prefix(8))")
    let status = await child.wait(timeout: .seconds(120))
    if status == nil { child.signal(SIGKILL) }
    return (status ?? -1, child.stdout, child.stderr)
}
