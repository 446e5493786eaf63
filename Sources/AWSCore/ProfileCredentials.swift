import AWSSigV4
import BoundedProcess
import Foundation

/// Parsed shared config (`~/.aws/config`) and credentials (`~/.aws/credentials`) files.
public struct ProfileFiles: Sendable {
    /// Properties per profile name; credentials-file values override config-file ones.
    public var profiles: [String: [String: String]]

    /// Parses INI text. In a config file sections are `[default]` and
    /// `[profile NAME]`; in a credentials file `[NAME]`. Other sections are ignored.
    public static func parse(_ text: String, isConfigFile: Bool) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard let close = trimmed.firstIndex(of: "]") else {
                    current = nil
                    continue
                }
                let name = trimmed[trimmed.index(after: trimmed.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                if isConfigFile {
                    if name == "default" {
                        current = "default"
                    } else if name.hasPrefix("profile ") || name.hasPrefix("profile\t") {
                        current = String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces)
                    } else {
                        current = nil
                    }
                } else {
                    current = name
                }
                if let current, result[current] == nil { result[current] = [:] }
                continue
            }
            // Indented lines continue a sub-section (e.g. `s3 =`); not used here.
            if line.first == " " || line.first == "\t" { continue }
            guard let profile = current, let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            for marker in [" #", "\t#", " ;", "\t;"] {
                if let r = value.range(of: marker) { value = value[..<r.lowerBound].trimmingCharacters(in: .whitespaces) }
            }
            result[profile]?[key] = value
        }
        return result
    }

    /// Loads `AWS_CONFIG_FILE` (default `~/.aws/config`) and
    /// `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`); missing files are empty.
    public static func load(environment: [String: String], homeDirectory: String?) -> (files: ProfileFiles, paths: [String]) {
        let home = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
        let configPath = expand(environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config", home: home)
        let credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials", home: home)
        var profiles = parse((try? String(contentsOfFile: configPath, encoding: .utf8)) ?? "", isConfigFile: true)
        let credentials = parse((try? String(contentsOfFile: credentialsPath, encoding: .utf8)) ?? "", isConfigFile: false)
        for (name, values) in credentials {
            profiles[name, default: [:]].merge(values) { _, fromCredentials in fromCredentials }
        }
        return (ProfileFiles(profiles: profiles), [configPath, credentialsPath])
    }

    private static func expand(_ path: String, home: String) -> String {
        path.hasPrefix("~/") ? home + path.dropFirst(1) : path
    }
}

/// Credentials from the shared config and credentials files for `AWS_PROFILE`
/// (default `default`): static keys, `credential_process`, and `role_arn` with
/// `source_profile` or `credential_source` (assumed through STS, chained as needed).
public struct ProfileCredentialProvider: CredentialProvider {
    private let context: CredentialContext
    private let profile: String?

    /// Creates a provider; `profile` overrides `AWS_PROFILE`.
    public init(profile: String? = nil, context: CredentialContext) {
        self.profile = profile
        self.context = context
    }

    /// Resolves the profile's credentials.
    public func credentials() async throws -> AWSCredentials {
        let env = context.environment
        let explicit = profile ?? env["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? env["AWS_DEFAULT_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        let name = explicit ?? "default"
        let (files, paths) = ProfileFiles.load(environment: env, homeDirectory: context.homeDirectory)
        guard files.profiles[name] != nil else {
            if explicit != nil {
                throw AWSClientError(.credentialsFailed, "AWS profile \"\(name)\" is not in \(paths.joined(separator: " or ")); check AWS_PROFILE")
            }
            throw AWSClientError(.noCredentials, "no default profile in \(paths.joined(separator: " or "))")
        }
        return try await resolve(name, files: files, visited: [])
    }

    private func staticKeys(_ p: [String: String]) -> AWSCredentials? {
        guard let id = p["aws_access_key_id"], !id.isEmpty, let secret = p["aws_secret_access_key"], !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: p["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 })
    }

    private func resolve(_ name: String, files: ProfileFiles, visited: Set<String>) async throws -> AWSCredentials {
        guard let p = files.profiles[name] else {
            throw AWSClientError(.credentialsFailed, "AWS profile \"\(name)\" (a source_profile) does not exist")
        }
        if visited.contains(name) {
            throw AWSClientError(.credentialsFailed, "AWS profiles form a source_profile loop at \"\(name)\"")
        }
        if let roleArn = p["role_arn"], !roleArn.isEmpty {
            if let tokenFile = p["web_identity_token_file"], !tokenFile.isEmpty {
                return try await WebIdentityCredentialProvider(
                    roleArn: roleArn, tokenFile: tokenFile, sessionName: p["role_session_name"], context: context
                ).credentials()
            }
            let source: any CredentialProvider
            if let sourceProfile = p["source_profile"], !sourceProfile.isEmpty {
                if sourceProfile == name, let keys = staticKeys(p) {
                    source = StaticCredentialProvider(keys)
                } else if let sp = files.profiles[sourceProfile], sp["role_arn"] == nil, let keys = staticKeys(sp) {
                    source = StaticCredentialProvider(keys)
                } else {
                    source = StaticCredentialProvider(try await resolve(sourceProfile, files: files, visited: visited.union([name])))
                }
            } else if let credentialSource = p["credential_source"] {
                switch credentialSource {
                case "Environment": source = EnvironmentCredentialProvider(environment: context.environment)
                case "Ec2InstanceMetadata": source = InstanceMetadataCredentialProvider(context: context)
                case "EcsContainer": source = ContainerCredentialProvider(context: context)
                default:
                    throw AWSClientError(
                        .credentialsFailed,
                        "AWS profile \"\(name)\": credential_source \"\(credentialSource)\" is not one of Environment, Ec2InstanceMetadata, EcsContainer")
                }
            } else {
                throw AWSClientError(.credentialsFailed, "AWS profile \"\(name)\" has role_arn but neither source_profile nor credential_source")
            }
            return try await AssumeRoleCredentialProvider(
                source: source, roleArn: roleArn, externalId: p["external_id"], sessionName: p["role_session_name"],
                durationSeconds: p["duration_seconds"].flatMap { Int($0) }, context: context
            ).credentials()
        }
        if let command = p["credential_process"], !command.isEmpty {
            return try await ProcessCredentialProvider(command: command, environment: context.environment).credentials()
        }
        if let keys = staticKeys(p) { return keys }
        throw AWSClientError(.noCredentials, "AWS profile \"\(name)\" has no credentials")
    }
}

/// `credential_process`: runs a command that prints credentials as JSON
/// (`Version` 1, `AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration`).
public struct ProcessCredentialProvider: CredentialProvider {
    /// The command line, run by `/bin/sh -c`.
    public let command: String
    /// The environment the command runs with.
    public let environment: [String: String]

    /// Creates the provider.
    public init(command: String, environment: [String: String]) {
        self.command = command
        self.environment = environment
    }

    private struct Output: Decodable {
        var Version: Int?
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var SessionToken: String?
        var Expiration: String?
    }

    /// The most bytes of output read from the command.
    static let maxOutputBytes = 64 << 10
    /// How long the command may take.
    static let timeLimit: Duration = .seconds(60)

    /// Runs the command and parses its output (never logged: it holds secrets).
    ///
    /// The command is the operator's (the delegate host's AWS config), run by
    /// `/bin/sh -c` as the AWS CLI runs it, through `BoundedProcess`: output
    /// bounded, a time limit, killed with its session on time-out or cancellation.
    public func credentials() async throws -> AWSCredentials {
        let outcome: BoundedProcess.Outcome
        do {
            outcome = try await BoundedProcess.run("/bin/sh", ["-c", command], environment: environment, maxOutput: Self.maxOutputBytes, maxError: 4096, timeLimit: Self.timeLimit)
        } catch let failure as BoundedProcess.Failure {
            switch failure {
            case .outputTooLarge(let limit): throw AWSClientError(.credentialsFailed, "credential_process printed more than \(limit) bytes")
            case .timedOut(let limit): throw AWSClientError(.credentialsFailed, "credential_process took longer than \(limit.components.seconds) s")
            case .couldNotStart(let why): throw AWSClientError(.credentialsFailed, "credential_process could not start: \(why)")
            }
        }
        let stdout = Data(outcome.standardOutput.utf8)
        guard let status = outcome.exitCode else {
            throw AWSClientError(.credentialsFailed, "credential_process was \(outcome.ending); run it by hand to see why")
        }
        guard status == 0 else {
            throw AWSClientError(.credentialsFailed, "credential_process exited with status \(status); run it by hand to see why")
        }
        guard let output = try? JSONDecoder().decode(Output.self, from: stdout) else {
            throw AWSClientError(.credentialsFailed, "credential_process printed something that is not credentials JSON")
        }
        guard output.Version == 1 else {
            throw AWSClientError(.credentialsFailed, "credential_process printed Version \(output.Version.map(String.init) ?? "none"); only Version 1 is supported")
        }
        guard let id = output.AccessKeyId, let secret = output.SecretAccessKey else {
            throw AWSClientError(.credentialsFailed, "credential_process printed no AccessKeyId or SecretAccessKey")
        }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: output.SessionToken, expiration: output.Expiration.flatMap(parseISO8601))
    }
}
