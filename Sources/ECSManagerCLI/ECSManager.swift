import ArgumentParser
import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import LogOutput
import ManagerClient
import ManagerCore
import ManagerHTTP
import ManagerPostgres
import ManagerSQLite
import Pipelines

@main
struct ECSManager: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecs-manager",
        abstract: "The reference manager for ecs-delegate: queues tasks, routes them by tags, stores logs and results.",
        discussion: CLIExit.help,
        version: "ecs-manager \(managerVersion)",
        subcommands: [Serve.self, Submit.self, Tasks.self, Logs.self, Delegates.self, Cancel.self, ConnectorCommand.self, SecretCommand.self,
                      Run.self, Executions.self, ExecutionCommand.self, TaskCommand.self, Watch.self, Approve.self, Reject.self, Rollback.self, TokenCommand.self, AuditCommand.self, NotifierCommand.self])
}

/// Reads a bearer token from a file, trimmed; a clear error when it cannot.
///
/// A file that group or others may read is accepted with a warning on standard error, as ssh does for keys.
func readToken(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read token file \(path)")
    }
    if let warning = TokenFile.permissionWarning(path: path) {
        FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
    }
    let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw ValidationError("token file \(path) is empty") }
    return token
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the manager's HTTP API.")

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).") var listen = "127.0.0.1:8181"
    @Option(help: "Directory for the SQLite database (or give --database).") var data: String?
    @Option(help: "PostgreSQL database instead of SQLite: postgres://USER@HOST:PORT/DB[?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=FILE]; several replicas may share it.") var database: String?
    @Option(name: .customLong("database-password-file"), help: "File holding the PostgreSQL password (first line, mode 0600); never put it in the URL.") var databasePasswordFile: String?
    @Option(name: .customLong("database-connections"), help: "PostgreSQL connections this replica keeps at most (2 to 100).") var databaseConnections: Int = 24
    @Option(name: .customLong("token-file"), help: "File holding the bootstrap admin key (it may also act as any delegate); other tokens come from ecs-manager token create.") var tokenFile: String
    @Option(name: .customLong("port-file"), help: "Write the bound port to this file once listening.") var portFile: String?
    @Option(help: "Heartbeat interval handed to delegates, seconds (1 to 300).") var heartbeatSeconds: Double = 10
    @Option(help: "Long-poll wait handed to delegates, seconds (1 to 120).") var pollWaitSeconds: Double = 25
    @Option(help: "Lease lifetime without a heartbeat, seconds (5 to 3600, and at least twice the heartbeat).") var leaseSeconds: Double = 30
    @Option(help: "Log flush interval handed to delegates, milliseconds (10 to 60000).") var logFlushMillis: Int = 200
    @Option(help: "Largest log batch handed to delegates, lines (1 to 100000).") var logBatchMaxLines: Int = 2000
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"
    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line, for log shippers).") var logFormat = "text"
    @Option(name: .customLong("secrets-key-file"), help: "File with the key that seals stored secrets: 32 raw bytes or 64 hex characters, mode 0600 (without it, secrets are disabled).") var secretsKeyFile: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("external-url"), help: "The manager's URL as people reach it, for the console links and approve commands in notifications (default: http[s]://HOST:PORT of --listen).") var externalURL: String?
    @Option(name: .customLong("metrics-listen"), help: "Also serve /metrics without a key on this HOST:PORT, for a Prometheus scraper (on the API listener it needs a key).") var metricsListen: String?
    @Option(name: .customLong("client-ca"), help: "PEM CA certificates: with --tls-cert, refuse clients without a certificate from this CA (mutual TLS).") var clientCA: String?

    /// The TLS files the flags name (nil: plain HTTP), refused when only half given.
    func tls() throws -> ManagerTLS? {
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            if clientCA != nil { throw ValidationError("--client-ca needs --tls-cert and --tls-key") }
            return nil
        case (let cert?, let key?): return ManagerTLS(certificateFile: cert, keyFile: key, clientCAFile: clientCA)
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
    }

    /// The fleet settings the flags ask for, refused when out of range.
    func settings() throws -> ManagerSettings {
        var settings = ManagerSettings()
        settings.heartbeatSeconds = heartbeatSeconds
        settings.pollWaitSeconds = pollWaitSeconds
        settings.leaseSeconds = leaseSeconds
        settings.logFlushMillis = logFlushMillis
        settings.logBatchMaxLines = logBatchMaxLines
        return try settings.validated()
    }

    /// Refuses out-of-range flags before anything starts, naming the flag and its range.
    func validate() throws {
        do {
            _ = try settings()
        } catch let e as ManagerSettingsError {
            throw ValidationError(e.description)
        }
        _ = try tls()
        switch (data, database) {
        case (nil, nil): throw ValidationError("give --data DIR (SQLite) or --database postgres://USER@HOST:PORT/DB (PostgreSQL)")
        case (.some, .some): throw ValidationError("--data and --database exclude each other")
        case (nil, let url?):
            do { _ = try DatabaseURL(url) } catch { throw ValidationError("--database: \(error)") }
        case (.some, nil):
            if databasePasswordFile != nil { throw ValidationError("--database-password-file goes with --database") }
        }
        guard ListenAddress(listen, ports: 0...65535) != nil else {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 (any free one) to 65535, e.g. 127.0.0.1:8181 or 0.0.0.0:8181, got '\(listen)'")
        }
        if let metricsListen, ListenAddress(metricsListen) == nil {
            throw ValidationError("--metrics-listen must be HOST:PORT with a port from 1 to 65535, got '\(metricsListen)'")
        }
        if let externalURL, let why = URLRules.httpURLProblem(externalURL) { throw ValidationError("--external-url \(why), got '\(externalURL)'") }
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be text or json, got '\(logFormat)'") }
        guard (2...100).contains(databaseConnections) else { throw ValidationError("--database-connections must be 2 to 100, got \(databaseConnections)") }
    }

    /// The store the flags name: SQLite in `--data`, or PostgreSQL at `--database` with the password file's password.
    /// `listen` names the replica (host and port, the same across its restarts) unless it asks for any free port.
    func storage(listen: String, logger: Logger) async throws -> ManagerStorage {
        guard let database else { return .sqlite(try ManagerStore.open(directory: data ?? ".")) }
        let url = try DatabaseURL(database)
        let password = try databasePasswordFile.map { try DatabaseURL.password(fromFile: $0) }
        let replicaId = listen.hasSuffix(":0") ? nil : "\(ProcessInfo.processInfo.hostName) \(listen)"
        logger.info("using PostgreSQL", metadata: ["database": "\(url)", "replica": "\(replicaId ?? "(new at each start)")"])
        // Replicas on one PostgreSQL database wake each other's long polls and log follows through LISTEN/NOTIFY.
        return .postgres(try await PostgresStore(url: url, password: password, connections: databaseConnections, replicaId: replicaId, logger: logger), logger: logger)
    }

    func run() async throws {
        guard let address = ListenAddress(listen, ports: 0...65535) else { throw ValidationError("--listen must be HOST:PORT, got '\(listen)'") }
        let (host, port) = (address.host, address.port)
        let token = try readToken(tokenFile)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        (LogFormat(rawValue: logFormat) ?? .text).bootstrap(level: level)
        var logger = Logger(label: "ecs-manager")
        logger.logLevel = level
        var secrets: SecretBox?
        if let secretsKeyFile {
            do {
                secrets = try SecretBox(key: try SecretsKeyFile.load(path: secretsKeyFile))
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        let tls = try tls()
        do {
            _ = try tls?.configuration()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let storage: ManagerStorage
        do {
            storage = try await self.storage(listen: listen, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let scheme = tls == nil ? "http" : "https"
        let reachable = ["0.0.0.0", "::"].contains(host) ? ListenAddress(host: ProcessInfo.processInfo.hostName, port: port) : address
        let external = externalURL ?? "\(scheme)://\(reachable)"
        let server = ManagerServer(storage: storage, token: token, settings: try settings(), secrets: secrets, tls: tls, externalURL: external, logger: logger)
        let portFile = self.portFile
        try await server.run(host: host, port: port, metrics: metricsListen.flatMap { ListenAddress($0) }.map { ($0.host, $0.port) }) { bound in
            if let portFile {
                try? "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
            }
            FileHandle.standardOutput.write(Data("ecs-manager listening on \(scheme)://\(ListenAddress(host: host, port: bound))\n".utf8))
        }
    }
}

/// Options every client command shares; each flag's environment variable is named in its help.
struct ClientOptions: ParsableArguments {
    @Option(help: "The manager's URL [env: ECS_MANAGER_URL].") var manager = ProcessInfo.processInfo.environment["ECS_MANAGER_URL"] ?? "http://127.0.0.1:8181"
    @Option(name: .customLong("token-file"), help: "File holding the API key [env: ECS_MANAGER_TOKEN_FILE; or the key itself in ECS_MANAGER_TOKEN].") var tokenFile = ProcessInfo.processInfo.environment["ECS_MANAGER_TOKEN_FILE"] ?? ""
    @Option(name: .customLong("ca-file"), help: "PEM CA certificates to verify an https manager with (default: the system's) [env: ECS_MANAGER_CA_FILE].") var caFile = ProcessInfo.processInfo.environment["ECS_MANAGER_CA_FILE"]
    @Option(name: .customLong("client-cert"), help: "PEM client certificate, for a manager that asks for one (serve --client-ca) [env: ECS_MANAGER_CLIENT_CERT].") var clientCert = ProcessInfo.processInfo.environment["ECS_MANAGER_CLIENT_CERT"]
    @Option(name: .customLong("client-key"), help: "PEM private key of --client-cert [env: ECS_MANAGER_CLIENT_KEY].") var clientKey = ProcessInfo.processInfo.environment["ECS_MANAGER_CLIENT_KEY"]

    /// The API key: from `--token-file` (or `ECS_MANAGER_TOKEN_FILE`), else the value of `ECS_MANAGER_TOKEN`.
    func token(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if !tokenFile.isEmpty { return try readToken(tokenFile) }
        if let value = environment["ECS_MANAGER_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        throw ValidationError("no API key: give --token-file FILE, or set ECS_MANAGER_TOKEN_FILE (a file) or ECS_MANAGER_TOKEN (the key)")
    }

    /// A client for the manager with the token and TLS files the options name.
    func client() throws -> ManagerClient {
        let token = try token()
        var configuration = HTTPClientConfiguration()
        configuration.caFile = caFile
        configuration.clientCertificateFile = clientCert
        configuration.clientKeyFile = clientKey
        return ManagerClient(baseURL: manager, token: token, http: HTTPClient(configuration: configuration))
    }
}

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Queue a task; with --follow, print its log lines until it ends.")

    @OptionGroup var options: ClientOptions
    @Option(help: "Task type, e.g. delegate.echo or ecs.rolling.deploy.") var type: String
    @Option(name: .customLong("selector"), help: "A delegate tag the task requires (repeatable).") var selectors: [String] = []
    @Option(help: "JSON payload file, or - for standard input.") var payload: String?
    @Option(help: "Timeout in seconds.") var timeout: Int?
    @Option(name: .customLong("execution-id"), help: "Pipeline run id that keys rollback snapshots.") var executionId: String?
    @Option(help: "JSON file with the task's cloud connector, e.g. {\"aws\": {\"region\": ..., \"credentials\": ...}} (kept in the manager's memory only).") var connector: String?
    @Option(name: .customLong("connector-name"), help: "A connector stored in the manager (ecs-manager connector apply): routes the task by its delegateSelectors and survives restarts.") var connectorName: String?
    @Flag(help: "Print the task's log lines as they arrive; exit 0 on success, 1 otherwise.") var follow = false
    @OptionGroup var lineFormat: LogLineFormat

    func run() async throws {
        let client = try options.client()
        var body = JSONValue.emptyObject
        if let payload {
            let data: Data
            if payload == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let d = FileManager.default.contents(atPath: payload) else { throw ValidationError("cannot read payload file \(payload)") }
                data = d
            }
            do {
                body = try JSONDecoder().decode(JSONValue.self, from: data)
            } catch let e as DecodingError {
                throw ValidationError("payload \(payload == "-" ? "(stdin)" : payload) is not valid JSON: \(describe(e))")
            }
        }
        var connectorValue: JSONValue?
        if let connector {
            guard let d = FileManager.default.contents(atPath: connector) else { throw ValidationError("cannot read connector file \(connector)") }
            do {
                connectorValue = try JSONDecoder().decode(JSONValue.self, from: d)
            } catch let e as DecodingError {
                throw ValidationError("connector \(connector) is not valid JSON: \(describe(e))")
            }
        }
        let request = SubmitTaskRequest(type: type, selectors: selectors, payload: body, timeoutSeconds: timeout, executionId: executionId, connector: connectorValue)
        let info = try await client.submit(TaskSubmission(request, connectorName: connectorName))
        guard follow else {
            print(info.taskId)
            return
        }
        FileHandle.standardError.write(Data("queued \(info.taskId)\n".utf8))
        let ok = try await followLogs(client: client, taskId: info.taskId, format: lineFormat)
        if !ok { throw ExitCode(1) }
    }
}

/// Prints a task's lines as they arrive; returns whether it succeeded.
func followLogs(client: ManagerClient, taskId: String, format: LogLineFormat) async throws -> Bool {
    var after: Int64 = 0
    var failures = 0
    while true {
        let page: LogPage
        do {
            page = try await client.logs(taskId: taskId, after: after, wait: 20)
            failures = 0
        } catch let e as ManagerClientError where e.isRetryable {
            failures += 1
            FileHandle.standardError.write(Data("warning: \(e); retrying\n".utf8))
            try await Task.sleep(for: .milliseconds(min(5000, 250 * (1 << min(failures, 5)))))
            continue
        }
        if !page.lines.isEmpty {
            var out = ""
            for line in page.lines { out += format.text(line) + "\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
            after = page.lines.last?.seq ?? after
            continue
        }
        if let status = TaskStatus(rawValue: page.state) {
            let info = try await client.task(taskId)
            if status == .succeeded { return true }
            let why = info.error.map { "\($0.code): \($0.message)" } ?? status.rawValue
            FileHandle.standardError.write(Data("task \(taskId) \(status.rawValue): \(why)\n".utf8))
            return false
        }
    }
}

struct Tasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recent tasks; a queued task says why it waits.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let tasks = try await options.client().tasks()
        try output.print(tasks) { Self.table(tasks) }
    }

    /// The tasks as `-o table` and `-o wide` show them.
    static func table(_ tasks: [TaskReport]) -> Table {
        Table("tasks", columns: [.init(header: "ID"), .init(header: "TYPE"), .init(header: "STATE"), .init(header: "DELEGATE"),
                                 .init(header: "CONNECTOR", wideOnly: true), .init(header: "SELECTORS", wideOnly: true),
                                 .init(header: "CREATED", wideOnly: true), .init(header: "LINES", wideOnly: true), .init(header: "DETAIL")],
              rows: tasks.map { t in
                  [t.taskId, t.type, t.state, t.delegateId ?? "-", t.connectorName ?? "-", t.selectors.isEmpty ? "-" : t.selectors.joined(separator: ","),
                   ISO8601Millis.string(from: t.createdAt), "\(t.logLines)",
                   t.error.map { "\($0.code): \($0.message)" } ?? t.waitingReason.map { "waiting: \($0)" } ?? ""]
              })
    }
}

/// `ecs-manager task get ID`: one task's state, delegate, error and outputs.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Show one task.", subcommands: [Get.self])

    /// `task get ID`.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task: type, state, delegate, times, error and outputs (-o json or yaml for all of it).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The task id.") var id: String

        /// Runs the command.
        func run() async throws {
            let task = try await options.client().taskReport(id)
            try output.print(task) { Tasks.table([task]) }
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a task's log lines.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The task id.") var task: String
    @Flag(help: "Keep printing until the task ends.") var follow = false
    @OptionGroup var lineFormat: LogLineFormat

    func run() async throws {
        let client = try options.client()
        if follow {
            if !(try await followLogs(client: client, taskId: task, format: lineFormat)) { throw ExitCode(1) }
            return
        }
        var after: Int64 = 0
        while true {
            let page = try await client.logs(taskId: task, after: after)
            if page.lines.isEmpty { break }
            for line in page.lines { print(lineFormat.text(line)) }
            after = page.lines.last?.seq ?? after
        }
    }
}

struct Delegates: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List registered delegates: RUNNING is tasks running of capacity, as `ecs-delegate status` counts them.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let ds = try await options.client().delegates()
        try output.print(ds) {
            Table("delegates", columns: [.init(header: "ID"), .init(header: "NAME"), .init(header: "STATE"), .init(header: "TAGS"), .init(header: "RUNNING"),
                                         .init(header: "VERSION"), .init(header: "HOST", wideOnly: true), .init(header: "LAST HEARTBEAT", wideOnly: true)],
                  rows: ds.map { d in
                      [d.delegateId, d.name, d.state, d.tags.isEmpty ? "-" : d.tags.joined(separator: ","), "\(max(0, d.capacity - d.freeCapacity))/\(d.capacity)",
                       d.version, d.hostname, d.lastHeartbeat.map(ISO8601Millis.string(from:)) ?? "never"]
                  })
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a task, or an execution (exec-...: its running task is cancelled and what ran is rolled back).")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The task or execution id.") var task: String

    func run() async throws {
        do {
            if task.hasPrefix("exec-") {
                try await options.client().cancelExecution(task)
                return print("cancelled \(task): what ran is being rolled back")
            }
            try await options.client().cancel(taskId: task)
        } catch ManagerClientError.http(409, "already_finished", let message) {
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            throw ExitCode(1)
        }
        print("cancel requested for \(task)")
    }
}

func printJSON<T: Encodable>(_ value: T) {
    let e = ProtocolV1.encoder()
    e.outputFormatting.insert(.prettyPrinted)
    if let data = try? e.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}
