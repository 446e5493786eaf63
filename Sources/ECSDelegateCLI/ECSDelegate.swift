import AWSServices
import ArgumentParser
import DelegateRuntime
import Foundation
import Synchronization
import HTTPClient
import Logging
import LogOutput
import ECSSteps
import Manifests
import ServiceLifecycle
import StatusServer
import DelegateProtocol

@main
struct ECSDelegate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecs-delegate",
        abstract: "The ECS deployment delegate: runs a manager's tasks against AWS from inside your network.",
        version: delegateVersion,
        subcommands: [Run.self, Status.self, TasksCommand.self, LogsCommand.self, SnapshotsCommand.self, ManifestCommand.self, ConfigCommand.self, Version.self])
}

struct ConfigOption: ParsableArguments {
    @Option(help: "The YAML configuration file (see Config/delegate.yaml) [env: ECS_DELEGATE_CONFIG; default: /etc/ecs-delegate/delegate.yaml when it exists]. Each key may be overridden by ECS_DELEGATE_<KEY>.") var config: String?

    /// The file read: `--config`, else `DelegateConfig.defaultPath()`; nil for defaults only.
    var path: String? { config ?? DelegateConfig.defaultPath() }

    /// Loads and validates; prints every problem and exits 2 when there are any.
    func load() throws -> DelegateConfig {
        do {
            return try DelegateConfig.load(path: path)
        } catch let e as ConfigErrors {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the delegate until SIGTERM.")
    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line); overrides log_format.") var logFormat: String?

    func validate() throws {
        if let logFormat, LogFormat(rawValue: logFormat) == nil { throw ValidationError("--log-format must be text or json, got '\(logFormat)'") }
    }

    func run() async throws {
        let config = try options.load()
        let token: String
        do {
            token = try config.readToken(warn: printWarning)
        } catch let e as ConfigErrors {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(2)
        }
        (LogFormat(rawValue: logFormat ?? config.logFormat) ?? .text).bootstrap(level: Logger.Level(rawValue: config.logLevel) ?? .info)
        let logger = Logger(label: "ecs-delegate")
        let store = try DelegateStore(directory: config.stateDir)
        var httpConfig = HTTPClientConfiguration()
        httpConfig.caFile = config.caFile
        httpConfig.clientCertificateFile = config.clientCert
        httpConfig.clientKeyFile = config.clientKey
        httpConfig.userAgent = "ecs-delegate/\(delegateVersion)"
        let http = HTTPClient(configuration: httpConfig)
        let policy = StepPolicy(gitTransports: config.gitProtocols, connectors: ConnectorPolicy(webIdentityTokenFiles: Set(config.webIdentityTokenFiles)))
        // The steps talk to AWS, registries and the URLs a verify probes: a client of their own, trusting the system's CAs and
        // presenting no client certificate. The manager's CA file would fail every AWS call, and its mTLS identity is not theirs to show.
        var stepsConfig = HTTPClientConfiguration()
        stepsConfig.userAgent = httpConfig.userAgent
        let stepsHTTP = HTTPClient(configuration: stepsConfig)
        let steps = StepEnvironment(http: stepsHTTP, store: store, policy: policy)
        let metrics = DelegateMetrics()
        metrics.setAWSCounts { (steps.retryStats.attempts, steps.retryStats.retries) }
        metrics.setAWSCalls { steps.retryStats.calls.map { (service: $0.key.service, operation: $0.key.operation, outcome: $0.key.outcome, count: $0.value) } }
        let agent = DelegateAgent(
            config: config, token: token, store: store, http: http, logger: logger,
            handlers: [EchoHandler()] + ecsHandlers(steps), metrics: metrics, notify: SystemdNotifier.fromEnvironment())
        let status = try StatusServer(agent: agent, store: store, path: config.statusSocket, logger: logger).service()
        // Services stop in reverse order: the agent drains first, the status socket (and metrics) answer until then.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: status)]
        if let address = config.metricsListen {
            services.append(.init(service: MetricsListener(agent: agent, address: address, logger: logger).service()))
        }
        services.append(.init(service: agent, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let signals = ShutdownSignals(group: group, agent: agent, logger: logger)
        try await group.run()
        signals.cancel()
        http.shutdown()
        stepsHTTP.shutdown()
    }
}

/// SIGTERM/SIGINT: the first drains gracefully, a second cancels running tasks.
final class ShutdownSignals: @unchecked Sendable {  // sources are set once in init and only cancelled after
    private let sources: [any DispatchSourceSignal]

    init(group: ServiceGroup, agent: DelegateAgent, logger: Logger) {
        let count = Mutex(0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let n = count.withLock { c in
                    c += 1
                    return c
                }
                if n == 1 {
                    logger.info("signal \(sig): draining (send it again to cancel running tasks)")
                    Task { await group.triggerGracefulShutdown() }
                } else {
                    logger.warning("signal \(sig) again: cancelling running tasks")
                    agent.cancelRunningTasks()
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() { for s in sources { s.cancel() } }
}

/// Options of the commands that talk to a running delegate's status socket.
struct SocketOptions: ParsableArguments {
    @Option(help: "The status socket (default: status_socket from --config, else /run/ecs-delegate/status.sock).") var socket: String?
    @Option(help: "The delegate's configuration file, to find its status socket [env: ECS_DELEGATE_CONFIG; default: /etc/ecs-delegate/delegate.yaml when it exists].") var config: String?

    func path() throws -> String {
        if let socket { return socket }
        if let config = config ?? DelegateConfig.defaultPath() {
            do {
                return try DelegateConfig.load(path: config).statusSocket
            } catch let e as ConfigErrors {
                throw ValidationError("\(e)")
            }
        }
        return (try? DelegateConfig.load(path: nil).statusSocket) ?? DelegateConfig().statusSocket
    }

    /// GETs `path` on the socket; a clear error when the delegate is not running or refuses.
    func get(_ route: String, onChunk: (@Sendable (Data) -> Void)? = nil) async throws -> Data {
        let socket = try path()
        guard FileManager.default.fileExists(atPath: socket) else {
            throw ValidationError("no status socket at \(socket): is ecs-delegate running? (its path is status_socket in the delegate's configuration; pass --socket or --config)")
        }
        var request = HTTPClientRequest(url: "http://localhost" + route, unixSocketPath: socket, timeout: onChunk == nil ? .seconds(10) : .seconds(86_400))
        request.onBodyChunk = onChunk
        let client = HTTPClient()
        defer { client.shutdown() }
        let response: HTTPClientResponse
        do {
            response = try await client.send(request)
        } catch let e as HTTPClientError {
            // curl speaks of "localhost port 80" for a Unix socket; say what it means instead.
            let reason = e.message.contains("connect") ? "nothing accepts connections there" : e.message
            throw ValidationError("cannot reach the delegate's status socket \(socket): \(reason) (is ecs-delegate running, and may this user read the socket?)")
        }
        guard response.status == 200 else {
            throw ValidationError("status socket answered \(response.status): \(String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return response.body
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the running delegate's state.")
    @OptionGroup var socket: SocketOptions
    @Flag(help: "Print the JSON the socket returns.") var json = false

    func run() async throws {
        let data = try await socket.get("/v1/status")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let s = try ProtocolV1.decoder().decode(DelegateStatus.self, from: data)
        print(renderStatus(s))
    }
}

/// The readable summary `ecs-delegate status` prints.
func renderStatus(_ s: DelegateStatus) -> String {
    var lines: [String] = []
    lines.append("ecs-delegate \(s.version)  name: \(s.name)  id: \(s.delegateId ?? "(not registered)")")
    lines.append("manager:    \(s.managerURL) (\(s.connected ? "connected" : "disconnected")\(s.lastError.map { ": \($0)" } ?? ""))")
    lines.append("heartbeat:  " + (s.secondsSinceHeartbeat.map { String(format: "%.1f s ago", $0) } ?? "none yet"))
    lines.append("tags:       \(s.tags.joined(separator: ", "))")
    lines.append("capacity:   \(s.running.count)/\(s.capacity) tasks running\(s.draining ? " (draining)" : "")")
    lines.append("uptime:     \(String(format: "%.0f", s.uptimeSeconds)) s")
    lines.append("spool:      \(s.spoolUnacknowledgedLines)/\(s.spoolMaxLines) lines awaiting acknowledgement")
    for t in s.running {
        lines.append("running:    \(t.taskId) \(t.type) since \(ISO8601Millis.string(from: t.startedAt))")
    }
    return lines.joined(separator: "\n")
}

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tasks", abstract: "List the delegate's recent tasks (its local journal).")
    @OptionGroup var socket: SocketOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let data = try await socket.get("/v1/tasks")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for e in try ProtocolV1.decoder().decode([JournalEntry].self, from: data) {
            let duration = e.finishedAt.map { String(format: "%.1f s", $0.timeIntervalSince(e.startedAt)) } ?? "running"
            var line = "\(e.taskId)  \(e.type)  \(e.status ?? e.state)  \(duration)  lines=\(e.lines)"
            if let err = e.error { line += "  error: \(err.code): \(err.message)" }
            print(line)
        }
    }
}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a task's log lines from the local journal.")
    @OptionGroup var socket: SocketOptions
    @Argument(help: "The task id.") var task: String
    @Flag(help: "Keep printing until the task ends.") var follow = false

    func run() async throws {
        let route = "/v1/tasks/\(task)/logs" + (follow ? "?follow=1" : "")
        _ = try await socket.get(route) { chunk in FileHandle.standardOutput.write(chunk) }
    }
}

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshots", abstract: "List the rollback snapshots the delegate holds.")
    @OptionGroup var socket: SocketOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let data = try await socket.get("/v1/snapshots")
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let entries = try ProtocolV1.decoder().decode([SnapshotEntry].self, from: data)
        if entries.isEmpty { print("no rollback snapshots") }
        for e in entries {
            let what = describeSnapshot(e)
            print("\(ISO8601Millis.string(from: e.createdAt))  execution \(e.executionId)  step \(e.stepId) (\(e.kind.rawValue), rolled back by \(e.kind.rollbackTaskType?.rawValue ?? "nothing"))  \(e.cluster)/\(e.service)  \(what)")
        }
    }
}

/// What a snapshot will restore, in a few words, by kind.
func describeSnapshot(_ e: SnapshotEntry) -> String {
    let s = e.snapshot
    func count(_ v: JSONValue?) -> String { v?.intValue.map(String.init) ?? "?" }
    switch e.kind {
    case .rolling, .canary:
        if s["firstDeployment"]?.boolValue == true { return "first deployment (rollback deletes the service)" }
        return "task definition \(s["service"]?["taskDefinition"]?.stringValue ?? "?"), desired count \(count(s["service"]?["desiredCount"]))"
    case .scale:
        return "desired count \(count(s["desiredCount"]))"
    case .blueGreen:
        let old = s["oldServiceName"]?.stringValue.map { "blue service \($0) at \(count(s["oldDesiredCount"])) tasks" } ?? "no blue service (first deployment)"
        return "\(old); prod forwarding as before; new service \(s["newServiceName"]?.stringValue ?? "?")"
    case .runTask:
        return "task family \(s["family"]?.stringValue ?? "?") (nothing to undo)"
    }
}

struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "manifest", abstract: "Work with ECS manifests.", subcommands: [Render.self])

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the request bodies a deployment would send, or every problem in the manifests (exit 2).")
        @Option(name: .customLong("task-definition"), help: "Task definition manifest (JSON or YAML).") var taskDefinition: String
        @Option(name: .customLong("service-definition"), help: "Service definition manifest.") var serviceDefinition: String?
        @Option(name: .customLong("scalable-target"), help: "Scalable target manifest (repeatable).") var scalableTargets: [String] = []
        @Option(name: .customLong("scaling-policy"), help: "Scaling policy manifest (repeatable).") var scalingPolicies: [String] = []
        @Option(name: .customLong("var"), help: "A variable for <+...> expressions, e.g. artifact.image=nginx:perl (repeatable).") var vars: [String] = []
        @Option(help: "The cluster (it comes from the infrastructure, never the manifest).") var cluster = "<cluster>"

        func run() async throws {
            var problems: [ManifestError] = []
            let renderer: ManifestRenderer
            do {
                renderer = ManifestRenderer(variables: try parseVariables(vars))
            } catch let e as ManifestErrors {
                FileHandle.standardError.write(Data("\(e)\n".utf8))
                throw ExitCode(2)
            }
            func load(_ path: String, _ kind: ManifestKind) -> JSONValue? {
                guard let data = FileManager.default.contents(atPath: path) else {
                    problems.append(ManifestError(file: path, message: "cannot read the file"))
                    return nil
                }
                do {
                    let r = try renderer.render(String(decoding: data, as: UTF8.self), file: path, kind: kind)
                    for note in r.notes { FileHandle.standardError.write(Data("\(path): note: \(note)\n".utf8)) }
                    return r.body
                } catch let e as ManifestErrors {
                    problems += e.errors
                } catch {
                    problems.append(ManifestError(file: path, message: "\(error)"))
                }
                return nil
            }
            let td = load(taskDefinition, .taskDefinition)
            let svc = serviceDefinition.flatMap { load($0, .serviceDefinition) }
            let targets = scalableTargets.compactMap { load($0, .scalableTarget) }
            let policies = scalingPolicies.compactMap { load($0, .scalingPolicy) }
            guard problems.isEmpty, let td else {
                FileHandle.standardError.write(Data((problems.map(\.description).joined(separator: "\n") + "\n").utf8))
                throw ExitCode(2)
            }
            let requests = DeploymentRequests(taskDefinition: td, service: svc, scalableTargets: targets, scalingPolicies: policies, cluster: cluster)
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(requests.asJSON), as: UTF8.self))
        }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Work with the configuration file.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report every problem in a configuration file; exit 2 if there are any.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try options.load()
            do {
                _ = try config.readToken(warn: printWarning)
            } catch let e as ConfigErrors {
                FileHandle.standardError.write(Data("\(e)\n".utf8))
                throw ExitCode(2)
            }
            print("\(options.path ?? "(defaults)"): OK (manager \(config.managerURL), name \(config.name), tags \(config.tags), capacity \(config.capacity))")
        }
    }
}

/// Prints a warning on standard error.
func printWarning(_ text: String) {
    FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("ecs-delegate \(delegateVersion)") }
}
