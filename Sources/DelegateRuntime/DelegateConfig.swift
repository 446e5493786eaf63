import DelegateProtocol
import Foundation
import Manifests
import YAMLSupport
import Yams

/// The delegate's settings: from a YAML file, each key overridable by `ECS_DELEGATE_<KEY>`.
///
/// The token itself is never a setting: it is read from `token_file` or from
/// `$CREDENTIALS_DIRECTORY/delegate-token` (systemd `LoadCredential=`).
public struct DelegateConfig: Sendable, Equatable {
    /// The manager's URL; with `manager_urls`, the first of them.
    public var managerURL = "http://127.0.0.1:8181"
    /// Several replicas of the manager (`manager_urls`), tried in order on connection failures; empty: `managerURL` alone.
    public var managerURLs: [String] = []
    /// Every URL the delegate may call, in order.
    public var managerEndpoints: [String] { managerURLs.isEmpty ? [managerURL] : managerURLs }
    /// The most manager URLs a configuration may list.
    public static let maxManagerURLs = 16
    public var tokenFile: String?
    public var name = ProcessInfo.processInfo.hostName
    public var tags: [String] = []
    public var capacity = 4
    public var stateDir = "/var/lib/ecs-delegate"
    public var statusSocket = "/run/ecs-delegate/status.sock"
    public var logLevel = "info"
    /// `text` (the default) or `json`: one JSON object per log line (`log_format`).
    public var logFormat = "text"
    public var caFile: String?
    public var clientCert: String?
    public var clientKey: String?
    /// How long running tasks may take to finish after SIGTERM.
    public var shutdownGraceSeconds: Double = 900
    /// Time limit for one manager call (long polls get the poll wait on top).
    public var requestTimeoutSeconds: Double = 30
    /// The most log lines held while the manager has not acknowledged them.
    public var spoolMaxLines = 1_000_000
    /// How long finished tasks and their lines stay in the local journal.
    public var logRetentionHours: Double = 72
    /// How long rollback snapshots are kept.
    public var snapshotRetentionDays: Double = 30
    /// The transports Git manifests may be fetched over (`git_protocols`): https unless the operator adds http or ssh.
    public var gitProtocols: Set<GitSource.Transport> = [.https]
    /// Web identity token files a task's AWS connector may name besides `AWS_WEB_IDENTITY_TOKEN_FILE` (`web_identity_token_files`).
    public var webIdentityTokenFiles: [String] = []
    /// A TCP address serving `/metrics` to Prometheus without the status socket's peer check (`metrics_listen`); nil: none.
    public var metricsListen: ListenAddress?

    /// The defaults.
    public init() {}

    /// Every key the file may hold, with its type, in documentation order.
    public static let keys: [(key: String, type: String)] = [
        ("manager_url", "string"), ("manager_urls", "list of strings"), ("token_file", "string"), ("name", "string"), ("tags", "list of strings"),
        ("capacity", "integer"), ("state_dir", "string"), ("status_socket", "string"), ("log_level", "string"), ("log_format", "string"),
        ("ca_file", "string"), ("client_cert", "string"), ("client_key", "string"), ("shutdown_grace_seconds", "number"),
        ("request_timeout_seconds", "number"), ("spool_max_lines", "integer"), ("log_retention_hours", "number"),
        ("snapshot_retention_days", "number"), ("git_protocols", "list of strings"), ("web_identity_token_files", "list of strings"),
        ("metrics_listen", "string"),
    ]

    /// Where the installed configuration lives: what `ecs-delegate run` reads when no `--config` is given.
    public static let installedPath = "/etc/ecs-delegate/delegate.yaml"

    /// The configuration file a command reads when none is given: `ECS_DELEGATE_CONFIG`, else the installed file
    /// when it exists, else none (the built-in defaults and `ECS_DELEGATE_*` alone).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> String? {
        if let named = environment["ECS_DELEGATE_CONFIG"], !named.isEmpty { return named }
        return exists(installedPath) ? installedPath : nil
    }

    /// Loads `path` (nil: defaults only), applies `ECS_DELEGATE_*` from `environment`, and validates.
    ///
    /// Throws `ConfigErrors` listing every problem with its key and line.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DelegateConfig {
        var config = DelegateConfig()
        var problems: [ConfigProblem] = []
        var values: [String: (Node, Int?)] = [:]
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigErrors(file: path, problems: [ConfigProblem(key: nil, line: nil, message: "cannot read the file")])
            }
            guard data.count <= maxFileBytes else {
                throw ConfigErrors(file: path, problems: [ConfigProblem(key: nil, line: nil, message: "the file is \(data.count) bytes; a configuration is at most \(maxFileBytes) bytes")])
            }
            let text = String(decoding: data, as: UTF8.self)
            let node: Node?
            do {
                node = try YAMLValues.compose(text)
            } catch let e as YamlError {
                throw ConfigErrors(file: path, problems: [ConfigProblem(key: nil, line: yamlLine(e), message: "YAML syntax error: \(yamlMessage(e))")])
            }
            if let node {
                guard let mapping = node.mapping else {
                    throw ConfigErrors(file: path, problems: [ConfigProblem(key: nil, line: node.mark.map { $0.line }, message: "the top level must be a mapping of keys to values")])
                }
                for (k, v) in mapping {
                    let key = k.string ?? ""
                    let line = k.mark.map { $0.line }
                    if keys.contains(where: { $0.key == key }) {
                        values[key] = (v, line)
                    } else {
                        problems.append(ConfigProblem(key: key, line: line, message: "unknown key (known: \(keys.map(\.key).joined(separator: ", ")))"))
                    }
                }
            }
        }
        for (key, _) in keys {
            let envName = "ECS_DELEGATE_" + key.uppercased()
            if let v = environment[envName] {
                let node: Node = ["tags", "manager_urls", "git_protocols", "web_identity_token_files"].contains(key)
                    // Environment tags are strings as given: "5" is the tag 5, not a number to refuse.
                    ? Node.sequence(Node.Sequence(v.split(separator: ",").map { YAMLValues.string(String($0).trimmingCharacters(in: .whitespaces)) }))
                    : YAMLValues.plain(v)
                values[key] = (node, nil)
            }
        }
        for (key, (node, line)) in values {
            let where_ = line == nil ? "ECS_DELEGATE_\(key.uppercased())" : nil
            func bad(_ expected: String) {
                problems.append(ConfigProblem(key: key, line: line, message: "expected \(expected), got '\(node.string ?? describeNode(node))'" + (where_.map { " (from \($0))" } ?? "")))
            }
            switch key {
            case "manager_url": if let s = node.string, !s.isEmpty { config.managerURL = s } else { bad("a URL string") }
            case "manager_urls":
                guard let seq = node.sequence, !seq.isEmpty, seq.count <= maxManagerURLs else { bad("a list of 1 to \(maxManagerURLs) URL strings"); break }
                var urls: [String] = []
                for (i, item) in seq.enumerated() {
                    guard let s = item.string, s.hasPrefix("http://") || s.hasPrefix("https://"), s.utf8.count <= 2048 else {
                        problems.append(ConfigProblem(key: "manager_urls[\(i)]", line: item.mark?.line ?? line, message: "must be a URL starting with http:// or https://, got '\(item.string ?? describeNode(item))'"))
                        continue
                    }
                    urls.append(s)
                }
                config.managerURLs = urls
                if let first = urls.first { config.managerURL = first }
            case "token_file": if let s = node.string { config.tokenFile = s.isEmpty ? nil : s } else { bad("a path") }
            case "name":
                if let s = node.string, let why = Identifiers.nameProblem(s) {
                    problems.append(ConfigProblem(key: key, line: line, message: why))
                } else if let s = node.string { config.name = s } else { bad("a non-empty string") }
            case "tags":
                guard let seq = node.sequence else { bad("a list of strings"); break }
                if seq.count > Identifiers.maxTags {
                    problems.append(ConfigProblem(key: key, line: line, message: "at most \(Identifiers.maxTags) tags (got \(seq.count))"))
                    break
                }
                var tags: [String] = []
                for (i, item) in seq.enumerated() {
                    let itemLine = item.mark?.line ?? line
                    if let why = tagProblem(item) {
                        problems.append(ConfigProblem(key: "tags[\(i)]", line: itemLine, message: why))
                    } else if let t = item.string {
                        tags.append(t)
                    }
                }
                config.tags = tags
            case "capacity": if let n = integer(node, in: 1...1000) { config.capacity = n } else { bad("an integer from 1 to 1000") }
            case "state_dir": if let s = node.string, !s.isEmpty { config.stateDir = s } else { bad("a directory path") }
            case "status_socket":
                if let s = node.string, !s.isEmpty, s.utf8.count <= maxSocketPathBytes { config.statusSocket = s } else { bad("a socket path of at most \(maxSocketPathBytes) bytes (the limit of a Unix socket address)") }
            case "log_level":
                if let s = node.string, ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(s) { config.logLevel = s } else { bad("one of trace, debug, info, notice, warning, error, critical") }
            case "log_format":
                if let s = node.string, ["text", "json"].contains(s) { config.logFormat = s } else { bad("text or json") }
            case "ca_file": if let s = node.string { config.caFile = s.isEmpty ? nil : s } else { bad("a path") }
            case "client_cert": if let s = node.string { config.clientCert = s.isEmpty ? nil : s } else { bad("a path") }
            case "client_key": if let s = node.string { config.clientKey = s.isEmpty ? nil : s } else { bad("a path") }
            case "shutdown_grace_seconds":
                if let d = number(node, in: 0...86_400) { config.shutdownGraceSeconds = d } else { bad("a number of seconds from 0 to 86400") }
            case "spool_max_lines":
                if let n = integer(node, in: 100...100_000_000) { config.spoolMaxLines = n } else { bad("an integer from 100 to 100000000") }
            case "log_retention_hours":
                if let d = number(node, in: 0...87_600) { config.logRetentionHours = d } else { bad("a number of hours from 0 to 87600") }
            case "snapshot_retention_days":
                if let d = number(node, in: 0...3650) { config.snapshotRetentionDays = d } else { bad("a number of days from 0 to 3650") }
            case "git_protocols":
                let names = GitSource.Transport.allCases.map(\.rawValue).joined(separator: ", ")
                guard let seq = node.sequence, seq.count <= GitSource.Transport.allCases.count else { bad("a list of transports (\(names))"); break }
                var transports: Set<GitSource.Transport> = []
                for (i, item) in seq.enumerated() {
                    guard let t = item.string.flatMap(GitSource.Transport.init(rawValue:)) else {
                        problems.append(ConfigProblem(key: "git_protocols[\(i)]", line: item.mark?.line ?? line, message: "must be one of \(names), got '\(item.string ?? describeNode(item))'"))
                        continue
                    }
                    transports.insert(t)
                }
                config.gitProtocols = transports
            case "web_identity_token_files":
                guard let seq = node.sequence, seq.count <= 64 else { bad("a list of at most 64 absolute paths"); break }
                var files: [String] = []
                for (i, item) in seq.enumerated() {
                    guard let s = item.string, s.hasPrefix("/"), s.utf8.count <= 4096 else {
                        problems.append(ConfigProblem(key: "web_identity_token_files[\(i)]", line: item.mark?.line ?? line, message: "must be an absolute path, got '\(item.string ?? describeNode(item))'"))
                        continue
                    }
                    files.append(s)
                }
                config.webIdentityTokenFiles = files
            case "request_timeout_seconds":
                if let d = number(node, in: 0.1...3600) { config.requestTimeoutSeconds = d } else { bad("a number of seconds from 0.1 to 3600") }
            case "metrics_listen":
                if let s = node.string, s.isEmpty {
                    config.metricsListen = nil
                } else if let s = node.string, let address = ListenAddress(s) {
                    config.metricsListen = address
                } else {
                    bad("HOST:PORT, e.g. 127.0.0.1:9464 (port 1 to 65535)")
                }
            default: break
            }
        }
        if values["manager_url"] != nil && values["manager_urls"] != nil {
            problems.append(ConfigProblem(key: "manager_urls", line: values["manager_urls"]?.1, message: "give manager_url or manager_urls, not both"))
        } else if !(config.managerURL.hasPrefix("http://") || config.managerURL.hasPrefix("https://")) {
            problems.append(ConfigProblem(key: "manager_url", line: values["manager_url"]?.1, message: "must start with http:// or https://, got '\(config.managerURL)'"))
        }
        for (key, path) in [("ca_file", config.caFile), ("client_cert", config.clientCert), ("client_key", config.clientKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                problems.append(ConfigProblem(key: key, line: values[key]?.1, message: "cannot read \(path)"))
            }
        }
        if !problems.isEmpty {
            throw ConfigErrors(file: path ?? "(environment)", problems: problems.sorted { ($0.line ?? Int.max, $0.key ?? "") < ($1.line ?? Int.max, $1.key ?? "") })
        }
        return config
    }

    /// The largest configuration file read, in bytes.
    public static let maxFileBytes = 1 << 20
    /// The longest status socket path: a Unix socket address holds 108 bytes with the closing NUL.
    public static let maxSocketPathBytes = 107

    /// Reads the delegate token: `$CREDENTIALS_DIRECTORY/delegate-token` first, then `token_file`.
    ///
    /// A `token_file` that group or others may read is still used, and `warn`
    /// hears about it, as ssh warns about a private key.
    public func readToken(environment: [String: String] = ProcessInfo.processInfo.environment, warn: (String) -> Void = { _ in }) throws -> String {
        var candidates: [(String, String)] = []
        if let dir = environment["CREDENTIALS_DIRECTORY"] {
            candidates.append(((dir as NSString).appendingPathComponent("delegate-token"), "$CREDENTIALS_DIRECTORY/delegate-token"))
        }
        if let f = tokenFile { candidates.append((f, "token_file")) }
        guard !candidates.isEmpty else {
            throw ConfigErrors(file: "(config)", problems: [ConfigProblem(key: "token_file", line: nil, message: "no token: set token_file, or run under systemd with LoadCredential=delegate-token:...")])
        }
        for (path, source) in candidates {
            guard let data = FileManager.default.contents(atPath: path) else {
                if source == "token_file" || candidates.count == 1 {
                    throw ConfigErrors(file: "(config)", problems: [ConfigProblem(key: "token_file", line: nil, message: "cannot read token file \(path)")])
                }
                continue
            }
            if source == "token_file", let warning = TokenFile.permissionWarning(path: path) { warn(warning) }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else {
                throw ConfigErrors(file: "(config)", problems: [ConfigProblem(key: "token_file", line: nil, message: "token file \(path) is empty")])
            }
            return token
        }
        throw ConfigErrors(file: "(config)", problems: [ConfigProblem(key: "token_file", line: nil, message: "no readable token file")])
    }
}

/// One thing wrong with a configuration.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The key it concerns, if any.
    public var key: String?
    /// The 1-based line in the file, if known.
    public var line: Int?
    /// What is wrong and what is expected.
    public var message: String

    public var description: String {
        var s = ""
        if let line { s += "line \(line): " }
        if let key { s += "\(key): " }
        return s + message
    }
}

/// Every problem found in one configuration.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    /// The file (or "(environment)").
    public var file: String
    /// The problems, in file order.
    public var problems: [ConfigProblem]

    public var description: String {
        problems.map { "\(file): \($0)" }.joined(separator: "\n")
    }
}

/// A number within `range` (finite), from a scalar node.
private func number(_ node: Node, in range: ClosedRange<Double>) -> Double? {
    guard let d = YAMLValues.number(node), d.isFinite, range.contains(d) else { return nil }
    return d
}

/// A plain whole number within `range` (`5`, not `"5"`, `5.5` or `1e30`).
private func integer(_ node: Node, in range: ClosedRange<Int64>) -> Int? {
    YAMLValues.number(node).flatMap { UntrustedNumber.integer($0, in: range) }.map { Int($0) }
}

/// Why a list item cannot be a tag: tags are strings as written, so a YAML null, number or boolean must be quoted.
private func tagProblem(_ item: Node) -> String? {
    guard case .scalar(let s) = item else { return "expected a string, got \(describeNode(item))" }
    if s.style == .plain {
        if ["", "~", "null", "Null", "NULL"].contains(s.string) { return "expected a non-empty string, got null" }
        if YAMLValues.isPlainNonString(item) {
            return "expected a string, got '\(s.string)' (quote it: \"\(s.string)\")"
        }
    }
    return Identifiers.tagProblem(s.string)
}

private func describeNode(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    default: return node.string ?? "?"
    }
}

private func yamlLine(_ e: YamlError) -> Int? {
    switch e {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
    default: return nil
    }
}

private func yamlMessage(_ e: YamlError) -> String {
    switch e {
    case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
        return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
    default: return "\(e)"
    }
}
