import DelegateProtocol
import ManagerAPI
import StepContracts

/// A stored connector turned into what the delegate reads (`TaskConnector`, the envelope's wire form), with its secret values.
public struct ConnectorResolution: Sendable, Equatable {
    /// The envelope's `connector`: its `aws` or its `dockerRegistry` member.
    public var connector: TaskConnector
    /// The secret values it holds, by secret name, for the envelope's `secrets` (the delegate masks them).
    public var secrets: [String: String]
}

extension Connector {
    /// The connector as the delegate reads it, each secret name replaced by `value(name)`.
    ///
    /// A registry with `ecrConnector` carries that AWS connector (`ecr`, resolved
    /// the same way) as its `ecr` member: the delegate signs in with its token.
    public func resolved(ecr: Connector? = nil, _ value: (String) throws -> String) throws -> ConnectorResolution {
        var secrets: [String: String] = [:]
        /// The value of secret `name` (nil: none named), remembered for the envelope's `secrets`.
        func secret(_ name: String?) throws -> String? {
            guard let name else { return nil }
            let v = try value(name)
            secrets[name] = v
            return v
        }
        /// The credentials as the delegate reads them (nil: the delegate's chain).
        func signIn(_ c: ConnectorCredentials?) throws -> AWSCredentialsForm {
            guard let c else { return AWSCredentialsForm(kind: .delegate) }
            switch c.kind {
            case .static:
                return AWSCredentialsForm(kind: .static, accessKeyId: try secret(c.accessKeyIdSecret), secretAccessKey: try secret(c.secretAccessKeySecret),
                                          sessionToken: try secret(c.sessionTokenSecret))
            case .delegate:
                return AWSCredentialsForm(kind: .delegate)
            case .assumeRole:
                return AWSCredentialsForm(kind: .assumeRole, roleArn: c.roleArn, externalId: c.externalId, sessionName: c.sessionName, source: try signIn(c.source))
            }
        }
        let connector: TaskConnector
        switch type {
        case .aws:
            connector = TaskConnector(aws: AWSConnectorForm(region: region ?? "", endpoint: endpoint, credentials: try signIn(credentials)))
        case .dockerRegistry:
            var registry = RegistryConnectorForm(url: url ?? "", username: username, password: try secret(passwordSecret), tokenHosts: tokenHosts)
            if let ecr, ecr.type == .aws {
                let aws = try ecr.resolved(value)
                registry.ecr = aws.connector.aws
                secrets.merge(aws.secrets) { current, _ in current }
            }
            connector = TaskConnector(dockerRegistry: registry)
        }
        return ConnectorResolution(connector: connector, secrets: secrets)
    }
}
