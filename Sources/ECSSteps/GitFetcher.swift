import DelegateProtocol
import Foundation
import BoundedProcess
import Manifests

/// A shallow fetch of one file with the system `git`, which no part of the reference can steer.
///
/// Every argument that comes from the task is data, never an option: the
/// reference is checked by `GitSource` (transport allowlist, ref and path
/// rules), positionals follow `--`, and git itself is held to the same
/// transports with `protocol.allow=never` plus `protocol.<name>.allow=always`
/// for the allowed ones and `GIT_ALLOW_PROTOCOL`. No system or global config
/// is read (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL=/dev/null`, a private
/// `HOME`). Credentials reach git through a credential helper reading the
/// environment: never in argv, a URL or a log line. Output is bounded, the
/// whole fetch has a time limit, and cancelling the task kills git's session.
package enum GitFetcher {
    /// The time one fetch may take, from `git init` to the file's text.
    static let timeLimit: Duration = .seconds(120)
    /// The most bytes of git's error output kept for a message.
    static let maxErrorBytes = 64 << 10

    /// Fetches `source.path` at `source.ref` of `source.url` over one of `allowed`.
    ///
    /// `username` and `password` are the values of the source's secrets.
    /// Throws `TaskError` `invalid_payload` for a reference the delegate
    /// refuses, `manifest_fetch` for a fetch that fails.
    package static func fetch(
        _ source: GitSource, allowed: Set<GitSource.Transport>, username: String?, password: String?, maxBytes: Int = ManifestLimits.standard.maxBytes
    ) async throws -> String {
        // The delegate trusts no reference from the manager: the same rules again, with this delegate's transports.
        if let why = GitSource.urlProblem(source.url, allowed: allowed) { throw TaskError(code: "invalid_payload", message: "git.url \(why)") }
        if let why = GitSource.refProblem(source.ref) { throw TaskError(code: "invalid_payload", message: "git.ref \(why)") }
        if let why = GitSource.pathProblem(source.path) { throw TaskError(code: "invalid_payload", message: "git.path \(why)") }
        for (name, value) in [("username", username), ("password", password)] {
            if let value, value.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                throw TaskError(code: "invalid_payload", message: "the Git \(name) secret contains a line break or NUL, which the credential protocol cannot carry")
            }
        }
        let dir = NSTemporaryDirectory() + "ecsd-git-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let invocation = Invocation(directory: dir, allowed: allowed, username: username, password: password, deadline: .now + timeLimit)
        let shown = redactURL(source.url)
        _ = try await invocation.run(["init", "-q"], failure: "git init failed")
        _ = try await invocation.run(
            ["fetch", "-q", "--no-tags", "--no-recurse-submodules", "--depth", "1", "--", source.url, source.ref],
            failure: "git fetch of \(shown) at \(source.ref) failed")
        return try await invocation.run(
            ["cat-file", "blob", "--end-of-options", "FETCH_HEAD:" + source.path],
            failure: "\(source.path) not found in \(shown) at \(source.ref)", maxOutput: maxBytes)
    }

    /// How `git` is started for one fetch: the private directory, the allowed transports and the credentials.
    package struct Invocation: Sendable {
        let directory: String
        let allowed: Set<GitSource.Transport>
        let username: String?
        let password: String?
        /// When the whole fetch must be over.
        let deadline: ContinuousClock.Instant

        /// Creates an invocation in `directory` (which must exist) over `allowed`, with the credentials if any, ending by `deadline`.
        package init(
            directory: String, allowed: Set<GitSource.Transport>, username: String? = nil, password: String? = nil,
            deadline: ContinuousClock.Instant = .now + GitFetcher.timeLimit
        ) {
            self.directory = directory
            self.allowed = allowed
            self.username = username
            self.password = password
            self.deadline = deadline
        }

        /// Options before every subcommand: only the allowed transports, and the credential helper when there is a password.
        var options: [String] {
            var o = ["-c", "protocol.allow=never"]
            for t in allowed.sorted() { o += ["-c", "protocol.\(t.rawValue).allow=always"] }
            if password != nil {
                // The helper prints the credentials from the environment: nothing secret in argv or in a URL.
                o += ["-c", "credential.helper=", "-c", #"credential.helper=!f() { test "$1" = get && echo "username=$ECSD_GIT_USERNAME" && echo "password=$ECSD_GIT_PASSWORD"; }; f"#]
            }
            return o
        }

        /// The whole environment git sees: nothing inherited but `PATH`.
        var environment: [String: String] {
            var env: [String: String] = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                "HOME": directory,
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_ALLOW_PROTOCOL": allowed.sorted().map(\.rawValue).joined(separator: ":"),
                "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
                "LC_ALL": "C",
            ]
            if let password {
                env["ECSD_GIT_USERNAME"] = username ?? "x-access-token"
                env["ECSD_GIT_PASSWORD"] = password
            }
            return env
        }

        /// Runs `git OPTIONS args` in the directory (before the deadline); its standard output, or a `TaskError` with `failure` and git's words.
        package func run(_ args: [String], failure: String, maxOutput: Int = 64 << 10) async throws -> String {
            let outcome: BoundedProcess.Outcome
            do {
                outcome = try await BoundedProcess.run(
                    "git", options + args, environment: environment, directory: directory, maxOutput: maxOutput, maxError: GitFetcher.maxErrorBytes,
                    timeLimit: max(deadline - .now, .zero))
            } catch let f as BoundedProcess.Failure {
                switch f {
                case .outputTooLarge(let limit): throw TaskError(code: "manifest_fetch", message: "\(failure): the output is larger than \(limit) bytes")
                case .timedOut: throw TaskError(code: "manifest_fetch", message: "\(failure): git took longer than \(GitFetcher.timeLimit.components.seconds) s")
                case .couldNotStart(let why): throw TaskError(code: "manifest_fetch", message: "\(failure): git could not be started: \(why)")
                }
            }
            guard outcome.exitCode == 0 else {
                let words = outcome.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
                throw TaskError(code: "manifest_fetch", message: "\(failure): \(words.isEmpty ? "git \(outcome.ending)" : words)")
            }
            return outcome.standardOutput
        }
    }

    /// A URL with any user:password removed, for logs.
    package static func redactURL(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let slash = url[scheme.upperBound...].firstIndex(of: "/") ?? url.endIndex
        guard at < slash else { return url }
        return String(url[..<scheme.upperBound]) + "***@" + String(url[url.index(after: at)...])
    }
}
