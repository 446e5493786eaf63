import ArgumentParser
import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerClient

/// `ecs-manager token create|list|revoke`: delegate tokens and API keys, through the manager's API (an admin key).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage delegate tokens and API keys (stored as SHA-256 hashes; a value is shown once, when created).",
        subcommands: [Create.self, List.self, Revoke.self])

    /// `token create`: prints the token alone on standard output, once.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once on standard output (store it at once: it cannot be shown again).")
        @OptionGroup var options: ClientOptions
        @Option(help: "delegate (register, heartbeat, poll, report its own leases) or api (a key for people and CI).") var kind: TokenKind
        @Option(help: "The token's name, as token list and the audit trail show it.") var name: String
        @Option(name: .customLong("allowed-tags"), help: "Delegate tokens: the only tags a delegate may register with, comma-separated (default: any).") var allowedTags: String?
        @Option(help: "API keys: read (list, follow), run (and submit, run, cancel, roll back) or admin (and connectors, secrets, tokens).") var scope: TokenScope?

        /// Refuses bad combinations before any call.
        func validate() throws {
            if let why = ResourceName.problem(name) { throw ValidationError("--name '\(name)': \(why)") }
            switch kind {
            case .api:
                guard scope != nil else { throw ValidationError("--scope is required with --kind api: read, run or admin") }
                guard allowedTags == nil else { throw ValidationError("--allowed-tags is only for --kind delegate") }
            case .delegate:
                guard scope == nil else { throw ValidationError("--scope is only for --kind api; a delegate token can only act as a delegate") }
            }
        }

        /// Runs the command.
        func run() async throws {
            let tags = allowedTags.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            let request = CreateTokenRequest(name: name, kind: kind, scope: scope, allowedTags: tags)
            let created = try await options.client().createToken(request)
            print(created.token)
            FileHandle.standardError.write(Data("created \(kind.rawValue) token \(name); it is shown only this once\n".utf8))
        }
    }

    /// `token list`: names, kinds, scopes, allowed tags and times; never values.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens: name, kind, scope or allowed tags, created, last used, revoked (never values).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions

        /// Runs the command.
        func run() async throws {
            let tokens = try await options.client().tokens()
            try output.print(tokens) {
                Table("tokens", columns: [.init(header: "NAME"), .init(header: "KIND"), .init(header: "SCOPE"), .init(header: "ALLOWED TAGS"),
                                          .init(header: "CREATED"), .init(header: "LAST USED"), .init(header: "REVOKED")],
                      rows: tokens.map { t in
                          [t.name, t.kind.rawValue, t.scope?.rawValue ?? "-", t.allowedTags.map { $0.joined(separator: ",") } ?? "-",
                           ISO8601Millis.string(from: t.createdAt), t.lastUsedAt.map(ISO8601Millis.string(from:)) ?? "never",
                           t.revokedAt.map(ISO8601Millis.string(from:)) ?? "-"]
                      })
            }
        }
    }

    /// `token revoke NAME`: the token stops working at once.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: its next call is refused (401); its delegates stop taking tasks and their running tasks are failed.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The token's name.") var name: String

        /// Runs the command.
        func run() async throws {
            if let why = ResourceName.problem(name) { throw ValidationError("token name '\(name)': \(why)") }
            let answer = try await options.client().revokeToken(name)
            if answer.alreadyRevoked { return print("token \(name) was already revoked") }
            var line = "token \(name) revoked"
            if !answer.delegates.isEmpty { line += "; delegates told to stop: \(answer.delegates.joined(separator: ", "))" }
            if !answer.failed.isEmpty { line += "; running tasks failed: \(answer.failed.joined(separator: ", "))" }
            if !answer.requeued.isEmpty { line += "; tasks requeued: \(answer.requeued.joined(separator: ", "))" }
            print(line)
        }
    }
}

extension TokenKind: ExpressibleByArgument {}
extension TokenScope: ExpressibleByArgument {}
