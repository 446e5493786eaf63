import DelegateProtocol
import Foundation

/// A connector stored in the manager: a cloud account or registry, how to sign in, and which delegates may use it.
///
/// It holds secret *names*, never values; values are filled in from the secrets
/// store when a task that uses it is leased (see `ConnectorResolution`).
public struct Connector: Codable, Sendable, Equatable {
    /// What the connector reaches.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case aws, dockerRegistry

        /// The task type `connector test` runs for this kind: `aws.validate` or `docker.validate`.
        public var validationTaskType: String {
            switch self {
            case .aws: return "aws.validate"
            case .dockerRegistry: return "docker.validate"
            }
        }
    }

    public var name: String
    public var type: Kind
    /// AWS: the region, e.g. `us-east-1`.
    public var region: String?
    /// AWS: an endpoint override, e.g. the simulator's `http://127.0.0.1:4566`.
    public var endpoint: String?
    /// AWS: how the delegate signs in.
    public var credentials: ConnectorCredentials?
    /// Docker registry: its URL.
    public var url: String?
    /// Docker registry: the user name.
    public var username: String?
    /// Docker registry: the name of the secret holding the password.
    public var passwordSecret: String?
    /// Docker registry (ECR private): the stored AWS connector whose credentials fetch `ecr:GetAuthorizationToken`.
    public var ecrConnector: String?
    /// Docker registry: hosts besides the registry's own that may receive the login when the registry sends a token realm there (e.g. `auth.docker.io`).
    public var tokenHosts: [String]?
    /// Tags a delegate must carry, all of them, to run a task that uses this connector.
    public var delegateSelectors: [String]
    /// Free text for people.
    public var description: String?

    /// Creates a connector.
    public init(name: String, type: Kind, region: String? = nil, endpoint: String? = nil, credentials: ConnectorCredentials? = nil,
                url: String? = nil, username: String? = nil, passwordSecret: String? = nil, ecrConnector: String? = nil, delegateSelectors: [String] = [], description: String? = nil) {
        self.name = name
        self.type = type
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.url = url
        self.username = username
        self.passwordSecret = passwordSecret
        self.ecrConnector = ecrConnector
        self.delegateSelectors = delegateSelectors
        self.description = description
    }

    /// Every secret name the connector refers to, in order, without repeats.
    public var secretNames: [String] {
        var names = (credentials?.secretNames ?? []) + [passwordSecret].compactMap { $0 }
        var seen: Set<String> = []
        names.removeAll { !seen.insert($0).inserted }
        return names
    }
}

/// How an AWS connector signs in: `static` keys from secrets, the `delegate` host's chain, or `assumeRole`.
public struct ConnectorCredentials: Codable, Sendable, Equatable {
    /// The ways of signing in.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case `static`, delegate, assumeRole
    }

    public var kind: Kind
    /// static: the secret holding the access key id.
    public var accessKeyIdSecret: String?
    /// static: the secret holding the secret access key.
    public var secretAccessKeySecret: String?
    /// static: the secret holding a session token, if any.
    public var sessionTokenSecret: String?
    /// assumeRole: the role to assume.
    public var roleArn: String?
    /// assumeRole: the external id the role's trust policy asks for.
    public var externalId: String?
    /// assumeRole: the session name.
    public var sessionName: String?
    /// assumeRole: the credentials that assume the role (default: the delegate's chain), boxed: a struct cannot hold its own type.
    private var sourceBox: Indirect<ConnectorCredentials>?

    /// assumeRole: the credentials that assume the role (nil: the delegate's chain).
    public var source: ConnectorCredentials? {
        get { sourceBox?.value }
        set { sourceBox = newValue.map(Indirect.init) }
    }

    /// Creates credentials.
    public init(kind: Kind, accessKeyIdSecret: String? = nil, secretAccessKeySecret: String? = nil, sessionTokenSecret: String? = nil,
                roleArn: String? = nil, externalId: String? = nil, sessionName: String? = nil, source: ConnectorCredentials? = nil) {
        self.kind = kind
        self.accessKeyIdSecret = accessKeyIdSecret
        self.secretAccessKeySecret = secretAccessKeySecret
        self.sessionTokenSecret = sessionTokenSecret
        self.roleArn = roleArn
        self.externalId = externalId
        self.sessionName = sessionName
        self.sourceBox = source.map(Indirect.init)
    }

    /// Every secret name these credentials (and their source) refer to.
    public var secretNames: [String] {
        [accessKeyIdSecret, secretAccessKeySecret, sessionTokenSecret].compactMap { $0 } + (source?.secretNames ?? [])
    }

    /// The members; the box is coded as `source`.
    private enum CodingKeys: String, CodingKey {
        case kind, accessKeyIdSecret, secretAccessKeySecret, sessionTokenSecret, roleArn, externalId, sessionName
        case sourceBox = "source"
    }
}
