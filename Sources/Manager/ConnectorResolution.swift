import DelegateProtocol
import ManagerAPI

/// A stored connector turned into what the delegate reads (see Sources/ECSSteps/Connector.swift), with its secret values.
public struct ConnectorResolution: Sendable, Equatable {
    /// The envelope's `connector`: `{"aws": {...}}` or `{"dockerRegistry": {...}}`.
    public var connector: JSONValue
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
        /// The value of secret `name`, remembered for the envelope's `secrets`.
        func secret(_ name: String) throws -> JSONValue {
            let v = try value(name)
            secrets[name] = v
            return .string(v)
        }
        /// The credentials as the delegate reads them (nil: the delegate's chain).
        func signIn(_ c: ConnectorCredentials?) throws -> JSONValue {
            guard let c else { return ["kind": "delegate"] }
            var o: [String: JSONValue] = ["kind": .string(c.kind.rawValue)]
            switch c.kind {
            case .static:
                if let n = c.accessKeyIdSecret { o["accessKeyId"] = try secret(n) }
                if let n = c.secretAccessKeySecret { o["secretAccessKey"] = try secret(n) }
                if let n = c.sessionTokenSecret { o["sessionToken"] = try secret(n) }
            case .delegate:
                break
            case .assumeRole:
                if let r = c.roleArn { o["roleArn"] = .string(r) }
                if let e = c.externalId { o["externalId"] = .string(e) }
                if let s = c.sessionName { o["sessionName"] = .string(s) }
                o["source"] = try signIn(c.source)
            }
            return .object(o)
        }
        let json: JSONValue
        switch type {
        case .aws:
            var aws: [String: JSONValue] = ["region": .string(region ?? ""), "credentials": try signIn(credentials)]
            if let endpoint { aws["endpoint"] = .string(endpoint) }
            json = ["aws": .object(aws)]
        case .dockerRegistry:
            var registry: [String: JSONValue] = ["url": .string(url ?? "")]
            if let username { registry["username"] = .string(username) }
            if let tokenHosts { registry["tokenHosts"] = .array(tokenHosts.map { .string($0) }) }
            if let p = passwordSecret { registry["password"] = try secret(p) }
            if let ecr, ecr.type == .aws {
                let aws = try ecr.resolved(value)
                registry["ecr"] = aws.connector["aws"]
                secrets.merge(aws.secrets) { current, _ in current }
            }
            json = ["dockerRegistry": .object(registry)]
        }
        return ConnectorResolution(connector: json, secrets: secrets)
    }
}
