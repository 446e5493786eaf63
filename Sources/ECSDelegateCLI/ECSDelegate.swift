import ArgumentParser
import DelegateRuntime
import Foundation
import HTTPClient
import Logging
import ServiceLifecycle

@main
struct ECSDelegate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecs-delegate",
        abstract: "The ECS deployment delegate: runs a manager's tasks against AWS from inside your network.",
        version: delegateVersion,
        subcommands: [Run.self, ConfigCommand.self, Version.self])
}

struct ConfigOption: ParsableArguments {
    @Option(help: "The YAML configuration file (see Config/delegate.yaml).") var config: String?

    /// Loads and validates; prints every problem and exits 2 when there are any.
    func load() throws -> DelegateConfig {
        do {
            return try DelegateConfig.load(path: config)
        } catch let e as ConfigErrors {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the delegate until SIGTERM.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        let token: String
        do {
            token = try config.readToken()
        } catch let e as ConfigErrors {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
            return h
        }
        let logger = Logger(label: "ecs-delegate")
        let store = try DelegateStore(directory: config.stateDir)
        var httpConfig = HTTPClientConfiguration()
        httpConfig.caFile = config.caFile
        httpConfig.clientCertificateFile = config.clientCert
        httpConfig.clientKeyFile = config.clientKey
        httpConfig.userAgent = "ecs-delegate/\(delegateVersion)"
        let http = HTTPClient(configuration: httpConfig)
        let agent = DelegateAgent(config: config, token: token, store: store, http: http, logger: logger, notify: SystemdNotifier.fromEnvironment())
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: agent, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        http.shutdown()
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
                _ = try config.readToken()
            } catch let e as ConfigErrors {
                FileHandle.standardError.write(Data("\(e)\n".utf8))
                throw ExitCode(2)
            }
            print("\(options.config ?? "(defaults)"): OK (manager \(config.managerURL), name \(config.name), tags \(config.tags), capacity \(config.capacity))")
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("ecs-delegate \(delegateVersion)") }
}
