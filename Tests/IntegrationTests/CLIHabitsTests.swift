import DelegateProtocol
import Foundation
import JSONValues
import Testing
import YAMLSupport

/// `ecs-manager`'s client commands keep the habits of kubectl, argocd and aws: `-o`, headers, exit codes, the key from the environment.
@Suite struct CLIHabitsTests {
    /// Runs `ecs-manager ARGS` against `manager` (its token file unless `env` gives the key), with `env` added.
    func run(_ manager: ManagerProcess, _ args: [String], env: [String: String] = [:], tokenFile: Bool = true, url: String? = nil) async throws -> Ran {
        let child = try Child(binDir + "/ecs-manager", args + ["--manager", url ?? manager.url] + (tokenFile ? ["--token-file", manager.tokenFile] : []),
                              env: env, dir: manager.dir, name: "cli-\(UUID().uuidString.prefix(8))")
        let status = await child.wait(timeout: .seconds(120))
        return Ran(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// How a command ended and what it printed.
    struct Ran {
        var status: Int32?
        var stdout: String
        var stderr: String
    }

    /// Cells of each line of a table, split on runs of spaces.
    func cells(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    @Test func readCommandsPrintTablesWithHeadersJSONAndYAML() async throws {
        let dir = try Scratch("cli-output")
        let manager = try await ManagerProcess(dir: dir)
        let empty = try await run(manager, ["executions"])
        #expect(empty.status == 0 && empty.stdout == "No executions found.\n", "\(empty.stdout)\(empty.stderr)")
        #expect(try JSONDecoder().decode([JSONValue].self, from: Data(try await run(manager, ["executions", "-o", "json"]).stdout.utf8)).isEmpty)

        // A task no delegate takes stays queued, saying why (a delegate that runs its type is registered, without its tag).
        _ = try await manager.client().register(RegisterRequest(
            name: "elsewhere", hostname: "h", version: "1", tags: ["other"], capacity: 1, taskTypes: ["delegate.echo"], instanceId: "i-cli"))
        let payload = try dir.write("p.json", #"{"count": 2, "note": "yes"}"#)
        let submitted = try await run(manager, ["submit", "--type", "delegate.echo", "--selector", "nobody-has-this", "--payload", payload])
        let taskId = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(submitted.status == 0 && taskId.hasPrefix("task-"), "\(submitted.stderr)")

        let table = cells(try await run(manager, ["tasks"]).stdout)
        #expect(table.first == ["ID", "TYPE", "STATE", "DELEGATE", "DETAIL"], "\(table)")
        #expect(table.count == 2 && table[1].prefix(4) == [taskId, "delegate.echo", "queued", "-"] && table[1].contains("waiting:"), "\(table)")
        let wide = cells(try await run(manager, ["tasks", "-o", "wide"]).stdout)
        #expect(wide.first == ["ID", "TYPE", "STATE", "DELEGATE", "CONNECTOR", "SELECTORS", "CREATED", "LINES", "DETAIL"], "\(wide)")
        #expect(wide.count == 2 && wide[1][5] == "nobody-has-this" && wide[1][7] == "0", "\(wide)")

        // -o json is the API's documented shape; -o yaml says the same thing.
        let json = try await run(manager, ["tasks", "-o", "json"])
        let tasks = try ProtocolV1.decoder().decode([TaskInfo].self, from: Data(json.stdout.utf8))
        #expect(tasks.map(\.taskId) == [taskId] && tasks.first?.state == "queued")
        let yaml = try await run(manager, ["tasks", "-o", "yaml"])
        #expect(yaml.status == 0 && yaml.stdout.contains("taskId: \(taskId)"), "\(yaml.stdout)")
        let fromYAML = try #require(try YAMLValues.compose(yaml.stdout)).map(YAMLValues.json)
        #expect(fromYAML == (try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))), "\(yaml.stdout)")

        // task get: one task, in each format.
        let got = try await run(manager, ["task", "get", taskId, "-o", "json"])
        #expect(try ProtocolV1.decoder().decode(TaskInfo.self, from: Data(got.stdout.utf8)).taskId == taskId, "\(got.stdout)\(got.stderr)")
        #expect(cells(try await run(manager, ["task", "get", taskId]).stdout).first == ["ID", "TYPE", "STATE", "DELEGATE", "DETAIL"])
        let missing = try await run(manager, ["task", "get", "task-nonexistent"])
        #expect(missing.status == 1 && missing.stderr.contains("404"), "\(missing.status as Any) \(missing.stderr)")
        let delegates = cells(try await run(manager, ["delegates"]).stdout)
        #expect(delegates.first == ["ID", "NAME", "STATE", "TAGS", "RUNNING", "VERSION"] && delegates.count == 2 && delegates[1][1...4] == ["elsewhere", "connected", "other", "0/1"], "\(delegates)")
        #expect(cells(try await run(manager, ["audit", "--since", "2999-01-01T00:00:00Z"]).stdout) == [["No", "audit", "entries", "found."]])
    }

    @Test func exitCodesTellAFailureFromBadUsageAndAnUnreachableManager() async throws {
        let dir = try Scratch("cli-exit")
        let manager = try await ManagerProcess(dir: dir)
        // 4: nothing listens there, or the key is refused.
        let unreachable = try await run(manager, ["tasks"], url: "http://127.0.0.1:1")
        #expect(unreachable.status == 4 && unreachable.stderr.contains("manager unreachable"), "\(unreachable.status as Any) \(unreachable.stderr)")
        let wrongKey = try dir.write("wrong-token", "not-a-key")
        let refused = try await run(manager, ["tasks", "--token-file", wrongKey], tokenFile: false)
        #expect(refused.status == 4 && refused.stderr.contains("401"), "\(refused.status as Any) \(refused.stderr)")
        // 2: a flag that does not exist, a file that does not read.
        let badFlag = try await run(manager, ["tasks", "--no-such-flag"])
        #expect(badFlag.status == 2 && badFlag.stderr.contains("--no-such-flag"), "\(badFlag.status as Any) \(badFlag.stderr)")
        let noFile = try await run(manager, ["run", dir.file("missing.yaml")])
        #expect(noFile.status == 2 && noFile.stderr.contains("cannot read pipeline file"), "\(noFile.status as Any) \(noFile.stderr)")
        let noKey = try await run(manager, ["tasks"], tokenFile: false)
        #expect(noKey.status == 2 && noKey.stderr.contains("ECS_MANAGER_TOKEN"), "\(noKey.status as Any) \(noKey.stderr)")
        // 1: the manager answered, and said no.
        let cancel = try await run(manager, ["cancel", "task-nonexistent"])
        #expect(cancel.status == 1 && cancel.stderr.contains("404"), "\(cancel.status as Any) \(cancel.stderr)")
    }

    @Test func theKeyMayComeFromTheEnvironmentAndHelpNamesEveryVariable() async throws {
        let dir = try Scratch("cli-env")
        let manager = try await ManagerProcess(dir: dir)
        let viaEnv = try await run(manager, ["delegates", "-o", "json"], env: ["ECS_MANAGER_TOKEN": manager.token], tokenFile: false)
        #expect(viaEnv.status == 0 && (try? JSONDecoder().decode([JSONValue].self, from: Data(viaEnv.stdout.utf8)))?.isEmpty == true, "\(viaEnv.stdout)\(viaEnv.stderr)")
        // A file given wins over the variable.
        let both = try await run(manager, ["delegates"], env: ["ECS_MANAGER_TOKEN": "wrong"])
        #expect(both.status == 0, "\(both.stderr)")

        let help = try Child(binDir + "/ecs-manager", ["--help"], dir: dir, name: "help")
        #expect(await help.wait(timeout: .seconds(60)) == 0)
        for name in ["ECS_MANAGER_URL", "ECS_MANAGER_TOKEN ", "ECS_MANAGER_TOKEN_FILE", "ECS_MANAGER_CA_FILE", "ECS_MANAGER_CLIENT_CERT", "ECS_MANAGER_CLIENT_KEY",
                     "Exit codes:", "4  the manager was unreachable"] {
            #expect(help.stdout.contains(name), "\(name) in: \(help.stdout)")
        }
        let sub = try Child(binDir + "/ecs-manager", ["tasks", "--help"], dir: dir, name: "tasks-help")
        #expect(await sub.wait(timeout: .seconds(60)) == 0)
        #expect(sub.stdout.contains("env: ECS_MANAGER_URL") && sub.stdout.contains("ECS_MANAGER_TOKEN") && sub.stdout.contains("-o, --output"), "\(sub.stdout)")
    }

    /// `ecs-delegate` without `--config` reads the file ECS_DELEGATE_CONFIG names (else /etc/ecs-delegate/delegate.yaml, as the unit does).
    @Test func theDelegateReadsItsConfigurationWithoutAFlag() async throws {
        let dir = try Scratch("cli-delegate-config")
        let token = try dir.write("token", "t")
        chmod(token, 0o600)
        let config = try dir.write("delegate.yaml", "manager_url: http://127.0.0.1:1\ntoken_file: \(token)\nname: from-env-file\nstate_dir: \(dir.file("state"))\n")
        let check = try Child(binDir + "/ecs-delegate", ["config", "check"], env: ["ECS_DELEGATE_CONFIG": config], dir: dir, name: "check")
        #expect(await check.wait(timeout: .seconds(60)) == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("\(config): OK") && check.stdout.contains("name from-env-file"), "\(check.stdout)")
    }
}
