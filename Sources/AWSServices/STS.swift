import AWSCore
import AWSSigV4
import Foundation

/// Who the credentials belong to.
public struct CallerIdentity: Sendable, Equatable {
    /// The account id.
    public var account: String
    /// The caller's ARN.
    public var arn: String
    /// The unique id of the user or role session.
    public var userId: String
}

/// AWS STS operations (Query protocol, Version 2011-06-15, regional endpoints).
public struct STS: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// GetCallerIdentity.
    public func getCallerIdentity() async throws -> CallerIdentity {
        let r = try await client.queryCall(service: .sts, action: "GetCallerIdentity")
        guard let account = r.string("Account"), let arn = r.string("Arn") else {
            throw AWSClientError(.invalidResponse, "STS GetCallerIdentity returned no Account or Arn")
        }
        return CallerIdentity(account: account, arn: arn, userId: r.string("UserId") ?? "")
    }

    /// AssumeRole; returns temporary credentials.
    public func assumeRole(roleArn: String, sessionName: String, externalId: String? = nil, durationSeconds: Int? = nil) async throws -> AWSCredentials {
        try await STSCredentialCalls.assumeRole(
            client: client, roleArn: roleArn, sessionName: sessionName, externalId: externalId, durationSeconds: durationSeconds)
    }

    /// AssumeRoleWithWebIdentity (unsigned); returns temporary credentials.
    public func assumeRoleWithWebIdentity(roleArn: String, sessionName: String, webIdentityToken: String, durationSeconds: Int? = nil) async throws -> AWSCredentials {
        try await STSCredentialCalls.assumeRoleWithWebIdentity(
            client: client, roleArn: roleArn, sessionName: sessionName, webIdentityToken: webIdentityToken, durationSeconds: durationSeconds)
    }
}
