import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient

/// Where `swift build` put the executables (override with ECS_BIN_DIR).
let binDir: String = {
    if let d = ProcessInfo.processInfo.environment["ECS_BIN_DIR"] { return d }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug").path
}()

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A scratch directory removed at the end of a test.
final class Scratch: @unchecked Sendable {
    let path: String
    init(_ name: String) throws {
        path = NSTemporaryDirectory() + "ecsd-it-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func write(_ name: String, _ text: String) throws -> String {
        let p = file(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A child process with its output in files; killed when dropped.
final class Child: @unchecked Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ executable: String, _ args: [String], env: [String: String] = [:], dir: Scratch, name: String) throws {
        stdoutPath = dir.file("\(name).out")
        stderrPath = dir.file("\(name).err")
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func signal(_ sig: Int32) {
        if process.isRunning { kill(process.processIdentifier, sig) }
    }

    /// Waits for exit up to `timeout`; returns the exit status or nil if still running.
    func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw HarnessError("timed out waiting for: \(what)")
}

/// A real `ecs-manager serve` process.
final class ManagerProcess: @unchecked Sendable {
    let dir: Scratch
    let tokenFile: String
    let token: String
    private(set) var port: Int = 0
    private(set) var child: Child?
    let extraArgs: [String]
    /// `--database URL --database-password-file FILE` (PostgreSQL) instead of `--data` (SQLite in `dir`).
    let database: (url: String, passwordFile: String)?
    /// The process's name, for its output files (`NAME.out`, `NAME.err`).
    let name: String
    /// Extra environment for the next `start()`.
    var env: [String: String] = [:]

    init(dir: Scratch, extraArgs: [String] = [], database: (url: String, passwordFile: String)? = nil, name: String = "manager", token: String? = nil) async throws {
        self.dir = dir
        self.token = token ?? "tok-" + UUID().uuidString
        tokenFile = try dir.write("\(name)-token", self.token)
        self.extraArgs = extraArgs
        self.database = database
        self.name = name
        try await start()
    }

    /// The manager's URL: https when it was started with `--tls-cert`.
    var url: String { "\(extraArgs.contains("--tls-cert") ? "https" : "http")://127.0.0.1:\(port)" }

    /// Starts (or restarts, on the same port and data dir).
    func start() async throws {
        let portFile = dir.file("\(name)-port")
        try? FileManager.default.removeItem(atPath: portFile)
        let listen = "127.0.0.1:\(port)"
        let storage = database.map { ["--database", $0.url, "--database-password-file", $0.passwordFile] } ?? ["--data", dir.file("\(name)-data")]
        child = try Child(binDir + "/ecs-manager", ["serve", "--listen", listen] + storage + ["--token-file", tokenFile, "--port-file", portFile] + extraArgs, env: env, dir: dir, name: name)
        // Generous: a fresh-clone CI run starting dozens of processes at once once took over 10 s to exec a debug build.
        // A manager that exits instead fails at once, with its own words.
        let started = child
        try await eventually(timeout: .seconds(60), "manager port file") {
            if let c = started, !c.isRunning { throw HarnessError("ecs-manager exited before listening: \(c.stderr.suffix(800))") }
            guard let s = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(s.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
            port = p
            return true
        }
    }

    func stop(_ sig: Int32 = SIGKILL) async {
        child?.signal(sig)
        _ = await child?.wait(timeout: .seconds(120))
    }

    func client(_ http: HTTPClient = HTTPClient()) -> ManagerClient {
        ManagerClient(baseURL: url, token: token, http: http)
    }
}

/// A real `ecs-delegate run` process with its own config and state dir.
final class DelegateProcess: @unchecked Sendable {
    let child: Child
    let configPath: String
    let stateDir: String

    /// `managerURLs`, when given, is written as `manager_urls` (several replicas) instead of `manager_url`.
    init(
        dir: Scratch, name: String, managerURL: String, managerURLs: [String]? = nil, tokenFile: String, tags: [String], capacity: Int = 4, extra: String = "",
        env: [String: String] = [:]
    ) throws {
        stateDir = dir.file("\(name)-state")
        configPath = try dir.write("\(name).yaml", """
            \(managerURLs.map { "manager_urls: [\($0.joined(separator: ", "))]" } ?? "manager_url: \(managerURL)")
            token_file: \(tokenFile)
            name: \(name)
            tags: [\(tags.joined(separator: ", "))]
            capacity: \(capacity)
            state_dir: \(stateDir)
            status_socket: \(dir.file("\(name).sock"))
            log_level: debug
            \(extra)
            """)
        child = try Child(binDir + "/ecs-delegate", ["run", "--config", configPath], env: env, dir: dir, name: name)
    }
}

/// Every line of a task the manager holds, paging through.
func allLines(_ client: ManagerClient, taskId: String) async throws -> [LogLine] {
    var out: [LogLine] = []
    while true {
        let page = try await client.logs(taskId: taskId, after: out.last?.seq ?? 0)
        if page.lines.isEmpty { return out }
        out += page.lines
    }
}

/// Waits for a delegate named `name` to be connected; returns its id.
func connectedDelegate(_ client: ManagerClient, name: String) async throws -> String {
    var id = ""
    try await eventually(timeout: .seconds(20), "delegate \(name) connected") {
        let ds = try await client.delegates()
        guard let d = ds.first(where: { $0.name == name && $0.state == "connected" }) else { return false }
        id = d.delegateId
        return true
    }
    return id
}

/// Waits for a task to finish; returns its final report.
func finished(_ client: ManagerClient, _ taskId: String, timeout: Duration = .seconds(60)) async throws -> TaskInfo {
    var info: TaskInfo?
    try await eventually(timeout: timeout, "task \(taskId) finished") {
        let t = try await client.task(taskId)
        info = t
        return t.isFinished
    }
    guard let info else { throw HarnessError("no task") }
    return info
}
