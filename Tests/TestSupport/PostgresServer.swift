import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Why a PostgreSQL server could not be started or used.
public struct PostgresUnavailable: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A real PostgreSQL server (Debian's `postgresql` package) on 127.0.0.1 and a free port, in a temporary directory.
///
/// `initdb` refuses to run as root, so as root the cluster is made and run as
/// the unprivileged `postgres` user (`setpriv`), with its directory chowned to it.
/// Password authentication (SCRAM) is on for TCP; the password is random,
/// in `passwordFile` (mode 0600), never in an argument. `stop()` shuts the
/// server down (and `restart` brings it back on the same port and data);
/// `remove()` deletes the directory. `shared` is one server per test process,
/// removed at exit.
public final class PostgresServer: @unchecked Sendable {
    /// The binaries of the installed major version.
    public static let binDir = "/usr/lib/postgresql/15/bin"
    /// The superuser the cluster is made with.
    public let user = PostgresServer.superuser
    /// The superuser's name.
    static let superuser = "ecs"
    public let port: Int
    /// The temporary directory holding the cluster, its socket and the password file.
    public let dir: String
    /// A file with the password (mode 0600).
    public let passwordFile: String
    /// The password (tests hand it to the store directly; processes get `passwordFile`).
    public let password: String
    private let process = Mutex<Process?>(nil)
    private let databases = Mutex(0)
    /// Server settings beyond the defaults (TLS).
    private let settings: [String]

    /// Makes a cluster and starts it; throws with the reason (and initdb's or postgres's output) when that fails.
    ///
    /// With `tls`, the server presents `tls`'s server certificate (for 127.0.0.1) and accepts TCP connections over TLS only.
    public init(tls: TestPKI? = nil) throws {
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: Self.binDir + "/initdb") else {
            throw PostgresUnavailable(message: "\(Self.binDir)/initdb is missing: install Debian's postgresql package (scripts/install-deps.sh)")
        }
        let dir = NSTemporaryDirectory() + "pg-\(UUID().uuidString.prefix(8))"
        let password = "pw-" + UUID().uuidString.lowercased()
        self.dir = dir
        self.password = password
        passwordFile = dir + "/password"
        do {
            settings = try Self.makeCluster(dir: dir, user: Self.superuser, password: password, tls: tls)
        } catch {
            try? fm.removeItem(atPath: dir)
            throw error
        }
        var lastError = "no attempt"
        for _ in 0..<5 {
            let candidate = freeLoopbackPort()
            do {
                let p = try Self.launch(dir: dir, port: candidate, settings: settings)
                process.withLock { $0 = p }
                port = candidate
                return
            } catch let e as PostgresUnavailable {
                lastError = e.message  // most likely the port was taken in between: try another
            }
        }
        try? fm.removeItem(atPath: dir)
        throw PostgresUnavailable(message: lastError)
    }

    /// Makes the cluster in `dir` (initdb as the postgres user, password authentication); returns the server settings `tls` needs.
    private static func makeCluster(dir: String, user: String, password: String, tls: TestPKI?) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/socket", withIntermediateDirectories: true)
        let passwordFile = dir + "/password"
        fm.createFile(atPath: passwordFile, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let initPassword = dir + "/initdb-password"
        fm.createFile(atPath: initPassword, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        if getuid() == 0 {
            try run("/bin/chown", ["-R", "postgres:postgres", dir + "/data", dir + "/socket", initPassword])
        }
        try run("/bin/chmod", ["0755", dir])
        try run(launcher, asPostgres + [
            binDir + "/initdb", "-D", dir + "/data", "-U", user, "--pwfile=" + initPassword, "--auth=scram-sha-256",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        ], cwd: dir)
        try? fm.removeItem(atPath: initPassword)
        if let tls {
            // The key must belong to the server's user and be private; TCP clients must come over TLS.
            for (name, mode) in [("server.pem", 0o644), ("server.key", 0o600)] {
                try fm.copyItem(atPath: tls.dir + "/" + name, toPath: dir + "/data/" + name)
                try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: dir + "/data/" + name)
            }
            if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", dir + "/data/server.pem", dir + "/data/server.key"]) }
            try "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n".write(toFile: dir + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
            return ["-c", "ssl=on", "-c", "ssl_cert_file=server.pem", "-c", "ssl_key_file=server.key"]
        }
        return []
    }

    /// As root (CI), commands run as the unprivileged `postgres` user through `setpriv` (initdb and postgres refuse root);
    /// as anyone else, as that user, directly through `env`.
    static let launcher = getuid() == 0 ? "/usr/bin/setpriv" : "/usr/bin/env"
    /// The launcher's arguments before the command.
    static let asPostgres = getuid() == 0 ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : ["--"]

    /// A `postgres://` URL for `database` (no password in it), with `sslmode` (and `sslrootcert`, when given).
    public func url(_ database: String, sslmode: String = "disable", rootCert: String? = nil) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=\(sslmode)" + (rootCert.map { "&sslrootcert=\($0)" } ?? "")
    }

    /// Creates a new, empty database and returns its name.
    public func createDatabase(prefix: String = "t") throws -> String {
        let n = databases.withLock { n in
            n += 1
            return n
        }
        let name = "\(prefix)_\(n)_\(UUID().uuidString.prefix(6).lowercased())"
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs one SQL command as the superuser (password through the environment, never an argument).
    public func psql(_ sql: String, database: String = "postgres") throws {
        try Self.run(Self.binDir + "/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-c", sql],
                     environment: ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"])
    }

    /// Everything `database` holds, as `pg_dump` writes it (schema and rows).
    public func dump(_ database: String) throws -> Data {
        Data(try Self.run(Self.binDir + "/pg_dump", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database],
                          environment: ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"]).utf8)
    }

    /// Whether the server answers.
    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// Shuts the server down (fast shutdown: connections are cut), waiting up to 20 s, then kills it.
    public func stop() {
        guard let p = process.withLock({ p in defer { p = nil }; return p }) else { return }
        if p.isRunning { kill(p.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(20)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }

    /// Starts the server again on the same port and data.
    public func start() throws {
        guard !isRunning else { return }
        let p = try Self.launch(dir: dir, port: port, settings: settings)
        process.withLock { $0 = p }
    }

    /// Stops the server and deletes its directory.
    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A server nobody removed (a test that threw before its clean-up) is removed when it goes.
    deinit { remove() }

    /// One server for the whole test process, started on first use and removed when the process exits.
    public static func shared() throws -> PostgresServer {
        try sharedServer.withLock { s in
            if let s { return try s.get() }
            let result = Result { try PostgresServer() }
            s = result
            if case .success = result { atexit { PostgresServer.removeShared() } }
            return try result.get()
        }
    }

    private static let sharedServer = Mutex<Result<PostgresServer, any Error>?>(nil)

    /// Removes the shared server (at exit).
    private static func removeShared() {
        if case .success(let server) = sharedServer.withLock({ $0 }) { server.remove() }
    }

    /// Starts `postgres` as the postgres user on 127.0.0.1:`port` and waits until it accepts connections (30 s at most).
    private static func launch(dir: String, port: Int, settings: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: launcher)
        p.arguments = asPostgres + [
            binDir + "/postgres", "-D", dir + "/data", "-p", String(port), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=" + dir + "/socket", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "logging_collector=off",
        ] + settings
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let log = dir + "/server.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: log)
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !p.isRunning { break }
            if (try? run(binDir + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port)])) != nil {
                watch(p.processIdentifier)
                return p
            }
            usleep(50_000)
        }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw PostgresUnavailable(message: "postgres did not accept connections on 127.0.0.1:\(port) within 30 s: \(output.suffix(2000))")
    }

    /// Starts a watchdog that shuts the server down if this test process dies without doing so (a crash skips `atexit`).
    private static func watch(_ server: Int32) {
        let w = Process()
        w.executableURL = URL(fileURLWithPath: "/bin/sh")
        w.arguments = ["-c", "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(server) 2>/dev/null; do sleep 1; done; kill -INT \(server) 2>/dev/null; exit 0"]
        w.standardOutput = FileHandle.nullDevice
        w.standardError = FileHandle.nullDevice
        w.standardInput = FileHandle.nullDevice
        try? w.run()
    }

    /// Runs a command to its end; throws with its output when it fails.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw PostgresUnavailable(message: "\((path as NSString).lastPathComponent) failed (status \(p.terminationStatus)): \(text.suffix(2000))")
        }
        return text
    }
}
