import AWSCore
import AWSSigV4
import DelegateProtocol
import Foundation
import StepContracts

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
    let credentials: AWSCredentialsForm

    /// Reads the AWS member of a task's connector (`member` names it in errors); a clear error names what is missing.
    public init(_ form: AWSConnectorForm?, member: String = "connector.aws") throws {
        guard let form else {
            throw TaskError(code: "invalid_connector", message: "the task has no AWS connector (connector.aws with region and credentials)")
        }
        guard let region = form.region, !region.isEmpty else {
            throw TaskError(code: "invalid_connector", message: "\(member).region is missing")
        }
        self.region = region
        endpoint = form.endpoint
        if let endpoint, let why = URLRules.connectorURLProblem(endpoint) {
            throw TaskError(code: "invalid_connector", message: "\(member).endpoint \(why)")
        }
        credentials = form.credentials ?? AWSCredentialsForm(kind: .delegate)
    }

    /// Reads the connector of a task as it arrives in the envelope (`TaskConnector(parsing:)`, then `init(_:member:)`).
    public init(_ connector: JSONValue?) throws {
        try self.init(try TaskConnector.parsed(connector).aws)
    }

    /// Builds the credential provider the connector describes, within what `policy` lets a connector reach.
    func provider(context: CredentialContext, policy: ConnectorPolicy) throws -> any CredentialProvider {
        try Self.provider(credentials, context: context, policy: policy)
    }

    private static func provider(_ c: AWSCredentialsForm, context: CredentialContext, policy: ConnectorPolicy) throws -> any CredentialProvider {
        let kind = c.kind ?? "delegate"
        switch kind {
        case "static":
            guard let id = c.accessKeyId, let secret = c.secretAccessKey else {
                throw TaskError(code: "invalid_connector", message: "static credentials need accessKeyId and secretAccessKey")
            }
            return StaticCredentialProvider(AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: c.sessionToken))
        case "delegate":
            return CredentialProviderChain.defaultChain(context: context)
        case "assumeRole":
            guard let role = c.roleArn else {
                throw TaskError(code: "invalid_connector", message: "assumeRole credentials need roleArn")
            }
            let source = try provider(c.source ?? AWSCredentialsForm(kind: .delegate), context: context, policy: policy)
            return RefreshingCredentialProvider(source: AssumeRoleCredentialProvider(
                source: source, roleArn: role, externalId: c.externalId, sessionName: c.sessionName, context: context))
        case "webIdentity":
            guard let role = c.roleArn, let file = c.tokenFile else {
                throw TaskError(code: "invalid_connector", message: "webIdentity credentials need roleArn and tokenFile")
            }
            if let why = policy.tokenFileProblem(file, environment: context.environment) {
                throw TaskError(code: "invalid_connector", message: "connector.aws.credentials.\(why)")
            }
            return RefreshingCredentialProvider(source: WebIdentityCredentialProvider(roleArn: role, tokenFile: file, sessionName: c.sessionName, context: context))
        default:
            throw TaskError(code: "invalid_connector", message: "unknown credentials kind '\(kind)' (static, delegate, assumeRole, webIdentity)")
        }
    }
}
