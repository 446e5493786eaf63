import DelegateProtocol
import DelegateRuntime
import Foundation
import StepContracts
import Testing
import YAMLSupport

@Suite struct ConfigTests {
    func write(_ text: String) throws -> String {
        let p = NSTemporaryDirectory() + "cfg-\(UUID().uuidString.prefix(8)).yaml"
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test func loadsTheDocumentedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try DelegateConfig.load(path: root.appendingPathComponent("Config/delegate.yaml").path, environment: [:])
        #expect(c.managerURL.hasPrefix("http"))
        #expect(!c.tags.isEmpty)
    }

    @Test func reportsEveryProblemWithKeyAndLine() throws {
        let p = try write("""
            manager_url: ftp://x
            capacity: lots
            tags: oops
            colour: blue
            """)
        do {
            _ = try DelegateConfig.load(path: p, environment: [:])
            Issue.record("expected errors")
        } catch let e as ConfigErrors {
            let text = "\(e)"
            #expect(e.problems.count == 4)
            #expect(text.contains("line 1: manager_url: must start with http:// or https://"))
            #expect(text.contains("line 2: capacity: expected an integer from 1 to 1000, got 'lots'"))
            #expect(text.contains("line 3: tags: expected a list of strings"))
            #expect(text.contains("line 4: colour: unknown key"))
        }
    }

    @Test func yamlSyntaxErrorsNameTheLine() throws {
        let p = try write("name: a\ntags: [a, b\ncapacity: 2\n")
        #expect {
            try DelegateConfig.load(path: p, environment: [:])
        } throws: { e in
            "\(e)".contains("YAML syntax error") && "\(e)".contains(p)
        }
    }

    @Test func environmentOverridesTheFile() throws {
        let p = try write("name: from-file\ncapacity: 2\ntags: [x]\n")
        let c = try DelegateConfig.load(path: p, environment: ["ECS_DELEGATE_NAME": "from-env", "ECS_DELEGATE_TAGS": "a, b", "ECS_DELEGATE_CAPACITY": "7"])
        #expect(c.name == "from-env")
        #expect(c.tags == ["a", "b"])
        #expect(c.capacity == 7)
        #expect(throws: ConfigErrors.self) { try DelegateConfig.load(path: p, environment: ["ECS_DELEGATE_CAPACITY": "0"]) }
    }

    /// `ecs-delegate run` without `--config` reads the installed file, as the unit does, or the one ECS_DELEGATE_CONFIG names.
    @Test func withoutAFlagTheInstalledFileIsRead() {
        #expect(DelegateConfig.defaultPath(environment: [:], exists: { $0 == "/etc/ecs-delegate/delegate.yaml" }) == "/etc/ecs-delegate/delegate.yaml")
        #expect(DelegateConfig.defaultPath(environment: [:], exists: { _ in false }) == nil)
        #expect(DelegateConfig.defaultPath(environment: ["ECS_DELEGATE_CONFIG": "/srv/d.yaml"], exists: { _ in true }) == "/srv/d.yaml")
        #expect(DelegateConfig.defaultPath(environment: ["ECS_DELEGATE_CONFIG": ""], exists: { _ in false }) == nil)
    }

    @Test func tokenComesFromCredentialsDirectoryFirst() throws {
        let dir = NSTemporaryDirectory() + "creds-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "from-systemd\n".write(toFile: dir + "/delegate-token", atomically: true, encoding: .utf8)
        let file = try write("from-file\n")
        var c = DelegateConfig()
        c.tokenFile = file
        #expect(try c.readToken(environment: ["CREDENTIALS_DIRECTORY": dir]) == "from-systemd")
        #expect(try c.readToken(environment: [:]) == "from-file")
        c.tokenFile = nil
        #expect(throws: ConfigErrors.self) { try c.readToken(environment: [:]) }
    }
}

@Suite struct MaskerTests {
    @Test func masksPlainAndJSONEscapedSecrets() {
        let m = SecretMasker(secrets: ["pa\"ss/w0rd", "tok-123456"])
        #expect(m.apply("token tok-123456 used") == "token \(SecretMasker.mask) used")
        #expect(m.apply(#"{"pw":"pa\"ss/w0rd"}"#) == #"{"pw":"\#(SecretMasker.mask)"}"#)
        #expect(m.apply(#"{"pw":"pa\"ss\/w0rd"}"#) == #"{"pw":"\#(SecretMasker.mask)"}"#)
        #expect(m.apply("nothing here") == "nothing here")
        #expect(SecretMasker(secrets: ["ab"]).isEmpty)
        let pem = SecretMasker(secrets: ["-----BEGIN-----\nAAAAsecretBBBB\n-----END-----"])
        #expect(pem.apply("  AAAAsecretBBBB") == "  \(SecretMasker.mask)")
        #expect(pem.apply("k=\"-----BEGIN-----\\nAAAAsecretBBBB\\n-----END-----\"") == "k=\"\(SecretMasker.mask)\"")
    }
}

@Suite struct StoreTests {
    @Test func spoolSurvivesReopenAndAcknowledgementPrunes() throws {
        let dir = NSTemporaryDirectory() + "dstore-\(UUID().uuidString.prefix(8))"
        let env = DelegateProtocolFixtures.envelope
        do {
            let store = try DelegateStore(directory: dir)
            try store.begin(env)
            try store.spool(taskId: env.taskId, lines: (1...10).map { DelegateProtocolFixtures.line($0) })
        }
        let store = try DelegateStore(directory: dir)
        #expect(try store.interruptedTasks().map(\.taskId) == [env.taskId])
        #expect(try store.unshipped(taskId: env.taskId, after: 0, limit: 4, maxBytes: 1 << 20).map(\.seq) == [1, 2, 3, 4])
        try store.acknowledge(taskId: env.taskId, through: 7)
        #expect(try store.unshipped(taskId: env.taskId, after: 7, limit: 100, maxBytes: 1 << 20).map(\.seq) == [8, 9, 10])
        #expect(try store.unacknowledgedCount() == 3)
        #expect(try store.tasksWithSpool().map(\.acked) == [7])
        // Finished, delivered and shipped tasks are pruned after retention, not before.
        try store.acknowledge(taskId: env.taskId, through: 10)
        try store.finish(taskId: env.taskId, result: TaskResult(leaseId: env.leaseId, status: .succeeded))
        try store.markDelivered(taskId: env.taskId)
        #expect(try store.prune(finishedBefore: Date().addingTimeInterval(-3600)) == 0)
        #expect(try store.lines(taskId: env.taskId, after: 0, limit: 100).count == 10)
        #expect(try store.prune(finishedBefore: Date().addingTimeInterval(1)) == 1)
        #expect(try store.lines(taskId: env.taskId, after: 0, limit: 100).isEmpty)
        let id1 = try store.instanceId()
        #expect(try DelegateStore(directory: dir).instanceId() == id1)
    }
}

@Suite struct SnapshotStoreTests {
    @Test func firstSnapshotPerExecutionAndServiceWinsAndOldOnesArePruned() throws {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "snap-\(UUID().uuidString.prefix(8))")
        try store.saveSnapshot(executionId: "e1", cluster: "c", service: "s", taskId: "t1", body: ["firstDeployment": false, "service": ["desiredCount": 2]])
        // A retried deployment in the same execution must not overwrite the state from before the first attempt.
        try store.saveSnapshot(executionId: "e1", cluster: "c", service: "s", taskId: "t2", body: ["firstDeployment": false, "service": ["desiredCount": 5]])
        #expect(try store.snapshot(executionId: "e1", cluster: "c", service: "s")?["service"]?["desiredCount"] == 2)
        #expect(try store.snapshot(executionId: "e2", cluster: "c", service: "s") == nil)
        try store.saveSnapshot(executionId: "e0", cluster: "c", service: "s", taskId: "t0", body: ["firstDeployment": true], now: Date().addingTimeInterval(-40 * 86400))
        #expect(try store.snapshots().map(\.executionId) == ["e1", "e0"])
        #expect(try store.pruneSnapshots(olderThan: Date().addingTimeInterval(-30 * 86400)) == 1)
        #expect(try store.snapshots().map(\.executionId) == ["e1"])
    }
}

/// Configuration values that once passed `config check` and then trapped or misrouted.
@Suite struct HostileConfigTests {
    func problems(_ text: String, environment: [String: String] = [:]) throws -> String {
        let p = NSTemporaryDirectory() + "cfg-\(UUID().uuidString.prefix(8)).yaml"
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: p) }
        do {
            _ = try DelegateConfig.load(path: p, environment: environment)
            return ""
        } catch let e as ConfigErrors {
            return "\(e)"
        }
    }

    @Test(arguments: ["1e20", ".inf", "-1", ".nan"])
    func durationsOutOfRangeAreRefused(value: String) throws {
        let text = try problems("shutdown_grace_seconds: \(value)\nlog_retention_hours: \(value)\nsnapshot_retention_days: \(value)\nrequest_timeout_seconds: \(value)\n")
        #expect(text.contains("line 1: shutdown_grace_seconds: expected a number of seconds from 0 to 86400"))
        #expect(text.contains("line 2: log_retention_hours: expected a number of hours from 0 to 87600"))
        #expect(text.contains("line 3: snapshot_retention_days: expected a number of days from 0 to 3650"))
        #expect(text.contains("line 4: request_timeout_seconds: expected a number of seconds from 0.1 to 3600"))
    }

    @Test func tagsMustBeNonEmptyStringsAsWritten() throws {
        let text = try problems("tags: [ecs, \"\", 5, null, \"a b\"]\n")
        #expect(text.contains("tags[1]: a tag must not be empty"))
        #expect(text.contains("tags[2]: expected a string, got '5' (quote it: \"5\")"))
        #expect(text.contains("tags[3]: expected a non-empty string, got null"))
        #expect(text.contains("tags[4]: a tag must not contain white space"))
        let c = try DelegateConfig.load(path: nil, environment: ["ECS_DELEGATE_TAGS": "ecs, 5"])
        #expect(c.tags == ["ecs", "5"], "environment tags are strings as given")
    }

    @Test func namesWithControlCharactersAreRefused() throws {
        #expect(try problems("name: \"a\\nb\"\n").contains("name: a name must not contain control characters (found U+A)"))
    }

    @Test func statusSocketPathsBeyondTheUnixLimitAreRefused() throws {
        let long = "/run/" + String(repeating: "s", count: 110) + ".sock"
        #expect(try problems("status_socket: \(long)\n").contains("status_socket: expected a socket path of at most 107 bytes"))
        #expect(try problems("status_socket: /run/x.sock\n").isEmpty)
    }

    @Test func aTokenFileOthersCanReadIsUsedWithAWarning() throws {
        let path = NSTemporaryDirectory() + "tok-\(UUID().uuidString.prefix(8))"
        try "secret-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = DelegateConfig()
        config.tokenFile = path
        chmod(path, 0o644)
        var warnings: [String] = []
        #expect(try config.readToken(environment: [:], warn: { warnings.append($0) }) == "secret-token")
        #expect(warnings.count == 1 && warnings[0].contains("mode 0644") && warnings[0].contains("chmod 600"))
        #expect(!warnings[0].contains("secret-token"))
        chmod(path, 0o600)
        warnings = []
        _ = try config.readToken(environment: [:], warn: { warnings.append($0) })
        #expect(warnings.isEmpty)
    }

    @Test func theManagersTuningIsClampedIntoSafeRanges() {
        let wild = RegisterResponse(delegateId: "d", heartbeatSeconds: 1e30, pollWaitSeconds: 0, logFlushMillis: -5, logBatchMaxLines: 0, logBatchMaxBytes: Int.max)
        let (safe, adjusted) = ManagerTuning.clamp(wild)
        #expect(safe.heartbeatSeconds == 300 && safe.pollWaitSeconds == 1)
        #expect(safe.logFlushMillis == 10 && safe.logBatchMaxLines == 1 && safe.logBatchMaxBytes == 64 << 20)
        #expect(adjusted.count == 5)
        let nan = ManagerTuning.clamp(RegisterResponse(delegateId: "d", heartbeatSeconds: .nan, pollWaitSeconds: .infinity, logFlushMillis: 200, logBatchMaxLines: 10, logBatchMaxBytes: 4096)).0
        #expect(nan.heartbeatSeconds == 1 && nan.pollWaitSeconds == 120)
        let sane = RegisterResponse(delegateId: "d", heartbeatSeconds: 10, pollWaitSeconds: 25, logFlushMillis: 200, logBatchMaxLines: 2000, logBatchMaxBytes: 1 << 20)
        #expect(ManagerTuning.clamp(sane).adjusted.isEmpty)
    }
}

/// Snapshots are filed per step of an execution, with their kind.
@Suite struct StepSnapshotTests {
    @Test func aCanaryAndARollingDeployOfOneServiceKeepSeparateSnapshots() throws {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "steps-\(UUID().uuidString.prefix(8))")
        let canary = SnapshotKey.defaultKey(executionId: "e1", kind: .canary, cluster: "c", service: "web")
        let rolling = SnapshotKey.defaultKey(executionId: "e1", kind: .rolling, cluster: "c", service: "web")
        try store.saveSnapshot(canary, kind: .canary, cluster: "c", service: "webCanary", taskId: "t1", body: ["canary": true])
        try store.saveSnapshot(rolling, kind: .rolling, cluster: "c", service: "web", taskId: "t2", body: ["service": ["desiredCount": 3]])
        #expect(try store.snapshot(canary)?.snapshot == ["canary": true])
        #expect(try store.snapshot(canary)?.kind == .canary)
        #expect(try store.snapshot(rolling)?.snapshot["service"]?["desiredCount"] == 3)
        #expect(try store.snapshot(rolling)?.version == SnapshotKind.rolling.version)
        // An explicit step id (a pipeline's) keys its own snapshot.
        let named = SnapshotKey(executionId: "e1", stepId: "deploy-2")
        try store.saveSnapshot(named, kind: .rolling, cluster: "c", service: "web", taskId: "t3", body: ["service": ["desiredCount": 7]])
        #expect(try store.snapshot(named)?.snapshot["service"]?["desiredCount"] == 7)
        #expect(try store.snapshot(rolling)?.snapshot["service"]?["desiredCount"] == 3)
        #expect(Set(try store.snapshots().map(\.stepId)) == ["canary/c/web", "rolling/c/web", "deploy-2"])
    }

    @Test func everyKindNamesItsRollbackInOnePlace() {
        #expect(SnapshotKind.rolling.rollbackTaskType?.rawValue == "ecs.rolling.rollback")
        #expect(SnapshotKind.canary.rollbackTaskType?.rawValue == "ecs.canary.delete")
        #expect(SnapshotKind.blueGreen.rollbackTaskType?.rawValue == "ecs.bluegreen.rollback")
        #expect(SnapshotKind.runTask.rollbackTaskType == nil)
    }
}

/// The configuration reads plain values by the manifests' rules (`YAMLValues`), not by Yams' YAML 1.1 regular expressions.
@Suite struct ConfigScalarTests {
    func load(_ text: String, environment: [String: String] = [:]) throws -> DelegateConfig {
        try loadConfig(text, environment: environment)
    }

    @Test func numbersAreReadFromPlainScalarsAndTheEnvironment() throws {
        let c = try load("capacity: 12\nspool_max_lines: 1e3\nshutdown_grace_seconds: 2.5\n")
        #expect(c.capacity == 12 && c.spoolMaxLines == 1000 && c.shutdownGraceSeconds == 2.5)
        #expect(try load("capacity: 12\n", environment: ["ECS_DELEGATE_CAPACITY": "7"]).capacity == 7)
    }

    @Test(arguments: ["\"12\"", "12.5", "1_000", "yes", "~"])
    func aCapacityThatIsNotAPlainWholeNumberIsRefused(value: String) throws {
        #expect(throws: ConfigErrors.self) { try load("capacity: \(value)\n") }
    }

    @Test func yesAndOnAreTagsLikeAnyOtherWordButTrueIsABoolean() throws {
        #expect(try load("tags: [yes, on, off]\n").tags == ["yes", "on", "off"])
        do {
            _ = try load("tags: [ecs, true, 1e3]\n")
            Issue.record("true and 1e3 were taken as tags")
        } catch let e as ConfigErrors {
            #expect("\(e)".contains("tags[1]: expected a string, got 'true' (quote it: \"true\")"))
            #expect("\(e)".contains("tags[2]: expected a string, got '1e3' (quote it: \"1e3\")"))
        }
    }
}
