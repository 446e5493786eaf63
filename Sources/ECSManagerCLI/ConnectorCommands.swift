import ArgumentParser
import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerClient
import ManagerCore
import Manifests

/// `ecs-manager connector apply|list|get|delete|test`: connectors stored in the manager.
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector", abstract: "Manage connectors: cloud accounts and the delegate tags that may use them (docs/connectors.md).",
        subcommands: [Apply.self, List.self, Get.self, Delete.self, Test.self])

    /// Connectors as `-o table` and `-o wide` show them.
    static func table(_ records: [ConnectorRecord]) -> Table {
        Table("connectors", columns: [.init(header: "NAME"), .init(header: "TYPE"), .init(header: "REGION"), .init(header: "CREDENTIALS"),
                                      .init(header: "DELEGATE SELECTORS"), .init(header: "CREATED", wideOnly: true), .init(header: "UPDATED")],
              rows: records.map { r in
                  let c = r.connector
                  return [c.name, c.type.rawValue, c.region ?? "-", c.credentials?.kind.rawValue ?? "-",
                          c.delegateSelectors.isEmpty ? "-" : c.delegateSelectors.joined(separator: ","),
                          ISO8601Millis.string(from: r.createdAt), ISO8601Millis.string(from: r.updatedAt)]
              })
    }

    /// `name`, refused before any call when it breaks the naming rule.
    static func checked(_ name: String) throws -> String {
        if let why = ResourceName.problem(name) { throw ValidationError("connector name '\(name)': \(why)") }
        return name
    }

    /// `connector apply FILE`: create or update by name.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or update a connector from a YAML (or JSON) file; problems are reported at file:line:column.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The connector file.") var file: String

        /// Runs the command.
        func run() async throws {
            let connector = try readResourceFile(file, what: "connector") { text, file throws(ManifestErrors) in try ConnectorFile.parse(text, file: file) }
            let client = try options.client()
            let before = try? await client.connector(try ConnectorCommand.checked(connector.name))
            try await client.putConnector(connector)
            print("connector \(connector.name) \(before == nil ? "created" : "updated")")
        }
    }

    /// `connector list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored connectors.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions

        /// Runs the command.
        func run() async throws {
            let records = try await options.client().connectors()
            try output.print(records) { ConnectorCommand.table(records) }
        }
    }

    /// `connector get NAME`.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a connector (secret names only; values never leave the manager here); -o json or yaml for all its members.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The connector's name.") var name: String

        /// Runs the command.
        func run() async throws {
            let record = try await options.client().connector(try ConnectorCommand.checked(name))
            try output.print(record) { ConnectorCommand.table([record]) }
        }
    }

    /// `connector delete NAME`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a connector; queued tasks keep the copy they were submitted with.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The connector's name.") var name: String

        /// Runs the command.
        func run() async throws {
            try await options.client().deleteConnector(try ConnectorCommand.checked(name))
            print("connector \(name) deleted")
        }
    }

    /// `connector test NAME`: `aws.validate` (or `docker.validate` for a registry) through a delegate carrying the connector's tags.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run aws.validate (docker.validate for a dockerRegistry connector) with the connector on a delegate carrying its delegateSelectors and print the result; exit 0 when it passes.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var lineFormat: LogLineFormat
        @Argument(help: "The connector's name.") var name: String

        /// Runs the command.
        func run() async throws {
            let client = try options.client()
            let report: TaskReport
            do {
                report = try await client.testConnector(try ConnectorCommand.checked(name))
            } catch ManagerClientError.http(409, "no_matching_delegate", let message) {
                FileHandle.standardError.write(Data("\(message)\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("testing connector \(name) with task \(report.taskId)\n".utf8))
            let ok = try await followLogs(client: client, taskId: report.taskId, format: lineFormat)
            let final = try await client.task(report.taskId)
            if let outputs = final.outputs, !outputs.isEmpty { printJSON(outputs) }
            print(ok ? "connector \(name): ok (delegate \(final.delegateId ?? "?"))" : "connector \(name): failed")
            if !ok { throw ExitCode(1) }
        }
    }
}
