import ArgumentParser
import DelegateProtocol
import Foundation
import Glibc
import ManagerAPI
import ManagerClient

/// `ecs-manager secret set|list|delete`: secrets sealed in the manager; values come from standard input, never the command line.
struct SecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Manage secrets (stored encrypted; values are read from standard input and never printed).",
        subcommands: [SetValue.self, List.self, Delete.self])

    /// `name`, refused before any call when it breaks the naming rule.
    static func checked(_ name: String) throws -> String {
        if let why = ResourceName.problem(name) { throw ValidationError("secret name '\(name)': \(why)") }
        return name
    }

    /// `secret set NAME`: the value from standard input (one trailing newline dropped); typed without echo on a terminal.
    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Create or replace a secret; its value is read from standard input.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The secret's name.") var name: String

        /// Runs the command.
        func run() async throws {
            _ = try SecretCommand.checked(name)
            let client = try options.client()
            var value = isatty(STDIN_FILENO) == 1 ? try readHidden(prompt: "value of secret \(name): ") : String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            if value.hasSuffix("\r\n") { value.removeLast(2) } else if value.hasSuffix("\n") { value.removeLast() }
            guard !value.isEmpty else { throw ValidationError("the secret's value is empty: give it on standard input, e.g. ecs-manager secret set \(name) < file") }
            let info = try await client.putSecret(name, value: value)
            print("secret \(name) \(info.createdAt == info.updatedAt ? "created" : "updated")")
        }
    }

    /// `secret list`: names and times only.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List secret names with when they were created and last set (never values).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var output: OutputOptions

        /// Runs the command.
        func run() async throws {
            let infos = try await options.client().secrets()
            try output.print(infos) {
                Table("secrets", columns: [.init(header: "NAME"), .init(header: "CREATED"), .init(header: "UPDATED")],
                      rows: infos.map { [$0.name, ISO8601Millis.string(from: $0.createdAt), ISO8601Millis.string(from: $0.updatedAt)] })
            }
        }
    }

    /// `secret delete NAME`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a secret.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The secret's name.") var name: String

        /// Runs the command.
        func run() async throws {
            try await options.client().deleteSecret(try SecretCommand.checked(name))
            print("secret \(name) deleted")
        }
    }
}

/// Reads one line from the terminal with echo off, after writing `prompt` to standard error.
func readHidden(prompt: String) throws -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw ValidationError("cannot read the terminal's settings") }
    var quiet = saved
    quiet.c_lflag &= ~tcflag_t(ECHO)
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
    defer {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true) ?? ""
}
