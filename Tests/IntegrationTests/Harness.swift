import DelegateProtocol
import Foundation
import Synchronization
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
/// A child process started by the tests, its output in files; waited for by its own `waitpid`, not by `Foundation.Process`.
///
/// Foundation's `Process` on Linux learns of an exit from EOF on a socket the
/// child inherits (made without `SOCK_CLOEXEC`); a descendant that inherits it
/// too (a postgres backend, a process another spawner started meanwhile) keeps
/// the child "running" and a zombie until it exits as well, and a test waiting
/// for it stalls (issue 22). Here the child is started with `posix_spawn`,
/// inherits nothing but its three standard descriptors, and is reaped by pid.
final class Child: @unchecked Sendable {
    /// The child's process id.
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    /// The exit status once reaped (a signal's number when one ended it).
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` with `args`, the test's environment plus `env`, and `stdin` as its standard input.
    init(_ executable: String, _ args: [String], env: [String: String] = [:], stdin: String? = nil, dir: Scratch, name: String) throws {
        stdoutPath = dir.file("\(name).out")
        stderrPath = dir.file("\(name).err")
        let input = try stdin.map { try dir.write("\(name).in", $0) } ?? "/dev/null"
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let out = open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open(input, O_RDONLY | O_CLOEXEC)
        defer { for fd in [out, err, null] where fd >= 0 { close(fd) } }
        guard out >= 0, err >= 0, null >= 0 else { throw HarnessError("cannot open the output files of \(name): errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, null, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        // glibc's closefrom action (2.34 and later; the Glibc module does not import it): nothing else is inherited,
        // Foundation's monitoring sockets included.
        guard let closeFrom = Self.addCloseFrom else { throw HarnessError("posix_spawn_file_actions_addclosefrom_np is missing: glibc 2.34 or later is needed") }
        _ = closeFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own, as Foundation's Process gave it: a signal to the test's group does not reach it.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw HarnessError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        LiveChildren.started(pid)
    }

    /// `posix_spawn_file_actions_addclosefrom_np`, looked up in the C library at run time.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { reap(blocking: false) == nil }

    func signal(_ sig: Int32) {
        if isRunning { kill(pid, sig) }
    }

    /// Waits for exit up to `timeout`; returns the exit status (a signal's number when one ended it) or nil if still running.
    func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = reap(blocking: false) { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return reap(blocking: false)
    }

    /// Blocks the calling thread until the child exits (for clean-up paths only: never on a task's thread while it runs).
    func waitUntilExit() { _ = reap(blocking: true) }

    /// The exit status if the child has exited (reaping it), else nil; `blocking` waits for it.
    private func reap(blocking: Bool) -> Int32? {
        status.withLock { status -> Int32? in
            if let status { return status }
            var raw: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &raw, blocking ? 0 : WNOHANG) } while r == -1 && errno == EINTR
            guard r == pid else { return nil }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            status = code
            LiveChildren.ended(pid)
            return code
        }
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            waitUntilExit()
        }
    }
}

/// The children the test process started and has not reaped: killed when it exits, so none outlives the run.
///
/// A `Child` kills its process when it is released, but one a test never
/// releases (held by a task still running when the last test ends, or by a
/// reference cycle) would be orphaned to init, a simulator or manager left
/// running after `swift test` returns. The exit handler sends SIGKILL to
/// each one's process group (each child leads its own).
enum LiveChildren {
    private static let pids: Mutex<Set<pid_t>> = {
        atexit { LiveChildren.killAll() }
        return Mutex([])
    }()

    /// Records a started child.
    static func started(_ pid: pid_t) { _ = pids.withLock { $0.insert(pid) } }
    /// Forgets a reaped child.
    static func ended(_ pid: pid_t) { _ = pids.withLock { $0.remove(pid) } }
    /// Kills every child not reaped yet, with its process group.
    static func killAll() {
        for pid in pids.withLock({ $0 }) { kill(-pid, SIGKILL) }
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

/// The Prometheus text a metrics listener on loopback `port` serves, once `ready` holds for it (polled for up to 30 s).
func scrapeMetrics(port: Int, until ready: @escaping (String) -> Bool = { _ in true }) async throws -> String {
    let http = HTTPClient()
    defer { http.shutdown() }
    var text = ""
    try await eventually(timeout: .seconds(30), "metrics on port \(port)") {
        let answer = try await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics", timeout: .seconds(10)))
        text = String(decoding: answer.body, as: UTF8.self)
        return answer.status == 200 && ready(text)
    }
    return text
}

/// The lines a daemon logged with `--log-format json` / `log_format: json` that are not one JSON object with a time, a level and a
/// message (the token file's permission warning comes before logging starts, from the command line tool itself, and is skipped).
func nonJSONLogLines(_ stderr: String) -> [Substring] {
    stderr.split(separator: "\n").filter { !$0.hasPrefix("warning: ") }.filter { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map { !($0["message"] is String && $0["level"] is String && $0["time"] is String) } ?? true
    }
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
        // A restart takes the same port back. Until it is bound, any socket may be handed it as its ephemeral port
        // (an outgoing connection of another test): then the manager cannot listen, and is started again shortly.
        for attempt in 1... {
            do {
                return try await startOnce()
            } catch let e as HarnessError where port != 0 && attempt < 10 && e.description.contains("address already in use") {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Starts the process once; throws its log when it exits before listening.
    private func startOnce() async throws {
        let portFile = dir.file("\(name)-port")
        try? FileManager.default.removeItem(atPath: portFile)
        let listen = "127.0.0.1:\(port)"
        let storage = database.map { ["--database", $0.url, "--database-password-file", $0.passwordFile] } ?? ["--data", dir.file("\(name)-data")]
        child = try Child(binDir + "/ecs-manager", ["serve", "--listen", listen] + storage + ["--token-file", tokenFile, "--port-file", portFile] + extraArgs, env: env, dir: dir, name: name)
        // Generous: a fresh-clone CI run starting dozens of processes at once once took over 10 s to exec a debug build.
        // A manager that exits instead fails at once, with its own words.
        // (`eventually` would swallow the exit as a failed condition and report only a timeout.)
        let started = child
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(s.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = p
                return
            }
            if let c = started, !c.isRunning { throw HarnessError("ecs-manager exited before listening: \(c.stderr.suffix(800))") }
            guard ContinuousClock.now < deadline else {
                throw HarnessError("ecs-manager wrote no port file within 60 s (still running); its log: \(started?.stderr.suffix(1500) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
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
