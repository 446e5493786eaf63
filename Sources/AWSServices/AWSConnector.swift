import AWSCore
import AWSSigV4
import DelegateProtocol
import Foundation

/// An AWS connector as a task carries it: region, credentials and optional endpoint.
///
/// ```
/// {"aws": {"region": "us-east-1", "endpoint": "http://127.0.0.1:5000",
///          "credentials": {"kind": "static", "accessKeyId": "...", "secretAccessKey": "...", "sessionToken": "..."}
///                       | {"kind": "delegate"}            (the host's default chain)
///                       | {"kind": "assumeRole", "roleArn": "...", "externalId": "...", "sessionName": "...", "source": {...}}
///                       | {"kind": "webIdentity", "roleArn": "...", "tokenFile": "..."}}}
/// ```
public struct AWSConnector: Sendable {
    public var region: String
    public var endpoint: String?
    let credentials: JSONValue

    /// Reads the connector of a task; a clear error names what is missing.
    public init(_ connector: JSONValue?) throws {
        guard let aws = connector?["aws"], aws.objectValue != nil else {
            throw TaskError(code: "invalid_connector", message: "the task has no AWS connector (connector.aws with region and credentials)")
        }
        guard let region = aws["region"]?.stringValue, !region.isEmpty else {
            throw TaskError(code: "invalid_connector", message: "connector.aws.region is missing")
        }
        self.region = region
        endpoint = aws["endpoint"]?.stringValue
        if let endpoint, let why = URLRules.connectorURLProblem(endpoint) {
            throw TaskError(code: "invalid_connector", message: "connector.aws.endpoint \(why)")
        }
        credentials = aws["credentials"] ?? ["kind": "delegate"]
    }

    /// Secret values in the connector, for the task's log masker.
    public static func secrets(in connector: JSONValue?) -> [String] {
        func walk(_ v: JSONValue?) -> [String] {
            guard let o = v?.objectValue else { return [] }
            var out: [String] = []
            for (k, v) in o {
                if ["secretAccessKey", "sessionToken"].contains(k), let s = v.stringValue { out.append(s) }
                out += walk(v)
            }
            return out
        }
        return walk(connector)
    }

    /// Builds the credential provider the connector describes, within what `policy` lets a connector reach.
    func provider(context: CredentialContext, policy: ConnectorPolicy) throws -> any CredentialProvider {
        try Self.provider(credentials, context: context, policy: policy)
    }

    private static func provider(_ c: JSONValue, context: CredentialContext, policy: ConnectorPolicy) throws -> any CredentialProvider {
        let kind = c["kind"]?.stringValue ?? "delegate"
        switch kind {
        case "static":
            guard let id = c["accessKeyId"]?.stringValue, let secret = c["secretAccessKey"]?.stringValue else {
                throw TaskError(code: "invalid_connector", message: "static credentials need accessKeyId and secretAccessKey")
            }
            return StaticCredentialProvider(AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: c["sessionToken"]?.stringValue))
        case "delegate":
            return CredentialProviderChain.defaultChain(context: context)
        case "assumeRole":
            guard let role = c["roleArn"]?.stringValue else {
                throw TaskError(code: "invalid_connector", message: "assumeRole credentials need roleArn")
            }
            let source = try provider(c["source"] ?? ["kind": "delegate"], context: context, policy: policy)
            return RefreshingCredentialProvider(source: AssumeRoleCredentialProvider(
                source: source, roleArn: role, externalId: c["externalId"]?.stringValue, sessionName: c["sessionName"]?.stringValue, context: context))
        case "webIdentity":
            guard let role = c["roleArn"]?.stringValue, let file = c["tokenFile"]?.stringValue else {
                throw TaskError(code: "invalid_connector", message: "webIdentity credentials need roleArn and tokenFile")
            }
            if let why = policy.tokenFileProblem(file, environment: context.environment) {
                throw TaskError(code: "invalid_connector", message: "connector.aws.credentials.\(why)")
            }
            return RefreshingCredentialProvider(source: WebIdentityCredentialProvider(roleArn: role, tokenFile: file, sessionName: c["sessionName"]?.stringValue, context: context))
        default:
            throw TaskError(code: "invalid_connector", message: "unknown credentials kind '\(kind)' (static, delegate, assumeRole, webIdentity)")
        }
    }
}
