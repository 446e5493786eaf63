import DelegateProtocol
import Foundation

/// A task's connectors as the envelope carries them, `{"aws": {...}, "dockerRegistry": {...}}`: written by the manager, parsed once by the delegate.
///
/// The members are optional on the wire so that the reader of each one
/// (`AWSConnector`, `RegistryConnector` on the delegate) can name what is
/// missing in its own words; the types are checked here, with messages that
/// name the member (`connector.dockerRegistry.username must be a string`).
public struct TaskConnector: Codable, Sendable, Equatable {
    /// The AWS account the steps call.
    public var aws: AWSConnectorForm?
    /// The registry the artifact comes from.
    public var dockerRegistry: RegistryConnectorForm?

    /// Creates a connector.
    public init(aws: AWSConnectorForm? = nil, dockerRegistry: RegistryConnectorForm? = nil) {
        self.aws = aws
        self.dockerRegistry = dockerRegistry
    }

    /// The envelope's connector parsed (nil: none, an empty connector); a `ConnectorProblem` names the member of the wrong type.
    public init(parsing json: JSONValue?) throws(ConnectorProblem) {
        guard let json, json != .null else {
            self.init()
            return
        }
        guard json.objectValue != nil else { throw ConnectorProblem("connector must be an object") }
        do {
            self = try JSONDecoder().decode(TaskConnector.self, from: json.serialized())
        } catch let e as DecodingError {
            throw ConnectorProblem(e)
        } catch {
            throw ConnectorProblem("connector: \(error)")
        }
    }

    /// The envelope's connector parsed, or a `TaskError` (`invalid_connector`) naming the member of the wrong type: how the delegate reads it.
    public static func parsed(_ json: JSONValue?) throws -> TaskConnector {
        do {
            return try TaskConnector(parsing: json)
        } catch {
            throw TaskError(code: "invalid_connector", message: error.message)
        }
    }

    /// Every secret value it holds (keys, session tokens, the registry password), for the task's log masker.
    public var secretValues: [String] {
        (aws?.credentials?.secretValues ?? []) + (dockerRegistry?.secretValues ?? [])
    }

    /// `json` (an inline connector, or nil) with this connector's members set over it: how the manager adds a stored connector to a task.
    public func merged(into json: JSONValue?) throws -> JSONValue {
        var members = json?.objectValue ?? [:]
        for (kind, value) in try JSONValue(encoding: self).objectValue ?? [:] { members[kind] = value }
        return .object(members)
    }
}

/// Why the envelope's connector cannot be read: the member and what it must be.
public struct ConnectorProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sentence, e.g. `connector.aws.region must be a string`.
    public var message: String

    /// A problem in the given words.
    public init(_ message: String) { self.message = message }

    /// The problem a decoding error describes, naming the member under `connector.`.
    init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String {
            "connector" + codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: return "a string"
            case is Bool.Type: return "true or false"
            case is Int.Type, is Double.Type: return "a number"
            case is [Any].Type, is [String].Type: return "a list"
            default: return "an object"
            }
        }
        switch error {
        case .typeMismatch(let type, let ctx): message = "\(path(ctx.codingPath)) must be \(kind(type))"
        case .valueNotFound(let type, let ctx): message = "\(path(ctx.codingPath)) must be \(kind(type))"
        case .keyNotFound(let key, let ctx): message = "\(path(ctx.codingPath + [key])) is missing"
        case .dataCorrupted(let ctx): message = "\(path(ctx.codingPath)) has an invalid value"
        @unknown default: message = "connector: \(error)"
        }
    }

    public var description: String { message }
}

/// An AWS connector on the wire: region, optional endpoint, and how to sign in (default: the delegate's own chain).
public struct AWSConnectorForm: Codable, Sendable, Equatable {
    public var region: String?
    /// An endpoint override, e.g. the simulator's `http://127.0.0.1:4566`.
    public var endpoint: String?
    public var credentials: AWSCredentialsForm?

    /// Creates a connector.
    public init(region: String?, endpoint: String? = nil, credentials: AWSCredentialsForm? = nil) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
    }
}

/// How an AWS connector signs in, on the wire: `static` keys, the `delegate` host's chain, `assumeRole` (from `source`), or `webIdentity`.
public struct AWSCredentialsForm: Codable, Sendable, Equatable {
    /// The ways of signing in.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case `static`, delegate, assumeRole, webIdentity
    }

    /// The way of signing in, as written (the delegate names an unknown one).
    public var kind: String?
    /// static: the keys (secret values; masked in logs).
    public var accessKeyId: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    /// assumeRole and webIdentity: the role.
    public var roleArn: String?
    /// assumeRole: the external id the role's trust policy asks for.
    public var externalId: String?
    public var sessionName: String?
    /// webIdentity: the token file.
    public var tokenFile: String?
    /// assumeRole: the credentials that assume the role (nil: the delegate's chain); held as a list of at most one.
    private var sources: [AWSCredentialsForm]

    /// assumeRole: the credentials that assume the role (nil: the delegate's chain).
    public var source: AWSCredentialsForm? {
        get { sources.first }
        set { sources = newValue.map { [$0] } ?? [] }
    }

    /// Creates credentials.
    public init(kind: Kind, accessKeyId: String? = nil, secretAccessKey: String? = nil, sessionToken: String? = nil, roleArn: String? = nil,
                externalId: String? = nil, sessionName: String? = nil, tokenFile: String? = nil, source: AWSCredentialsForm? = nil) {
        self.kind = kind.rawValue
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.roleArn = roleArn
        self.externalId = externalId
        self.sessionName = sessionName
        self.tokenFile = tokenFile
        self.sources = source.map { [$0] } ?? []
    }

    /// The secret values, the source's included.
    public var secretValues: [String] {
        [secretAccessKey, sessionToken].compactMap { $0 }.filter { !$0.isEmpty } + (source?.secretValues ?? [])
    }

    /// The members, `source` included.
    private enum CodingKeys: String, CodingKey {
        case kind, accessKeyId, secretAccessKey, sessionToken, roleArn, externalId, sessionName, tokenFile, source
    }

    /// Decodes credentials; `source` is one nested object.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        accessKeyId = try c.decodeIfPresent(String.self, forKey: .accessKeyId)
        secretAccessKey = try c.decodeIfPresent(String.self, forKey: .secretAccessKey)
        sessionToken = try c.decodeIfPresent(String.self, forKey: .sessionToken)
        roleArn = try c.decodeIfPresent(String.self, forKey: .roleArn)
        externalId = try c.decodeIfPresent(String.self, forKey: .externalId)
        sessionName = try c.decodeIfPresent(String.self, forKey: .sessionName)
        tokenFile = try c.decodeIfPresent(String.self, forKey: .tokenFile)
        sources = try c.decodeIfPresent(AWSCredentialsForm.self, forKey: .source).map { [$0] } ?? []
    }

    /// Encodes credentials; `source` is one nested object.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encodeIfPresent(accessKeyId, forKey: .accessKeyId)
        try c.encodeIfPresent(secretAccessKey, forKey: .secretAccessKey)
        try c.encodeIfPresent(sessionToken, forKey: .sessionToken)
        try c.encodeIfPresent(roleArn, forKey: .roleArn)
        try c.encodeIfPresent(externalId, forKey: .externalId)
        try c.encodeIfPresent(sessionName, forKey: .sessionName)
        try c.encodeIfPresent(tokenFile, forKey: .tokenFile)
        try c.encodeIfPresent(source, forKey: .source)
    }
}

/// A Docker registry connector on the wire: the registry's URL and how to sign in (basic, or an ECR token fetched with `ecr`'s AWS credentials).
public struct RegistryConnectorForm: Codable, Sendable, Equatable {
    public var url: String?
    public var username: String?
    /// A secret value (masked in logs).
    public var password: String?
    /// ECR private registries: the AWS connector whose credentials fetch the token.
    public var ecr: AWSConnectorForm?
    /// Hosts besides the registry's that may receive the login as token servers.
    public var tokenHosts: [String]?

    /// Creates a connector.
    public init(url: String?, username: String? = nil, password: String? = nil, ecr: AWSConnectorForm? = nil, tokenHosts: [String]? = nil) {
        self.url = url
        self.username = username
        self.password = password
        self.ecr = ecr
        self.tokenHosts = tokenHosts
    }

    /// The password and ECR's keys.
    public var secretValues: [String] {
        [password].compactMap { $0 }.filter { !$0.isEmpty } + (ecr?.credentials?.secretValues ?? [])
    }
}
