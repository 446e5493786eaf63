import ArgumentParser
import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerClient
import ManagerCore
import Manifests

/// `ecs-manager notifier apply|list|delete|deliveries`: where execution events are posted, and how their deliveries went.
struct NotifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifier", abstract: "Manage notifiers: webhooks told when executions start, wait for approval, succeed, fail or roll back.",
        subcommands: [Apply.self, List.self, Delete.self, Deliveries.self])

    /// `notifier apply FILE`.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update a notifier from a YAML (or JSON) file: name, url, events (started, waiting, succeeded, failed, rolledBack), format (json or slack), secretName; problems are reported at file:line:column.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The notifier file.") var file: String

        /// Runs the command.
        func run() async throws {
            let notifier = try readResourceFile(file, what: "notifier") { text, file throws(ManifestErrors) in try NotifierFile.parse(text, file: file) }
            let applied = try await options.client().putNotifier(notifier)
            print("notifier \(notifier.name) \(applied.created ? "created" : "updated")")
        }
    }

    /// `notifier list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List notifiers: name, events, format, whether they sign, and their URL.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions

        /// Runs the command.
        func run() async throws {
            let notifiers = try await options.client().notifiers()
            try output.print(notifiers) {
                Table("notifiers", columns: [.init(header: "NAME"), .init(header: "EVENTS"), .init(header: "FORMAT"), .init(header: "SECRET"), .init(header: "URL")],
                      rows: notifiers.map { [$0.name, $0.events.map(\.rawValue).joined(separator: ","), $0.format.rawValue, $0.secretName ?? "-", $0.url] })
            }
        }
    }

    /// `notifier delete NAME`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a notifier; its pending deliveries are given up.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The notifier's name.") var name: String

        /// Runs the command.
        func run() async throws {
            if let why = ResourceName.problem(name) { throw ValidationError("notifier name '\(name)': \(why)") }
            try await options.client().deleteNotifier(name)
            print("notifier \(name) deleted")
        }
    }

    /// `notifier deliveries`.
    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the newest notification deliveries: state, attempts, last answer, next attempt.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "How many, newest first (1 to 1000).") var limit = 50

        /// Runs the command.
        func run() async throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000, got \(limit)") }
            let deliveries = try await options.client().deliveries(limit: limit)
            try output.print(deliveries) {
                Table("deliveries", columns: [
                    .init(header: "ID"), .init(header: "NOTIFIER"), .init(header: "EVENT"), .init(header: "EXECUTION"), .init(header: "STATE"),
                    .init(header: "ATTEMPTS"), .init(header: "LAST"), .init(header: "NEXT", wideOnly: true), .init(header: "ERROR", wideOnly: true),
                ], rows: deliveries.map { d in
                    [String(d.id), d.notifier, d.event.rawValue, d.executionId, d.state.rawValue, String(d.attempts), d.lastStatus.map(String.init) ?? "-",
                     d.nextAttemptAt.map(ISO8601Millis.string(from:)) ?? "-", d.lastError ?? "-"]
                })
            }
        }
    }
}
