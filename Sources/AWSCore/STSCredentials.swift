import AWSSigV4
import Foundation
import Logging

/// The STS calls that produce credentials, shared by the providers and `AWSServices`.
public enum STSCredentialCalls {
    /// Reads the `<Credentials>` element of an AssumeRole* result.
    public static func parseCredentials(_ result: XMLTree, operation: String) throws -> AWSCredentials {
        guard let c = result.find("Credentials"), let id = c.string("AccessKeyId"), let secret = c.string("SecretAccessKey") else {
            throw AWSClientError(.invalidResponse, "STS \(operation) returned no credentials")
        }
        return AWSCredentials(
            accessKeyId: id, secretAccessKey: secret, sessionToken: c.string("SessionToken"),
            expiration: c.string("Expiration").flatMap(parseISO8601))
    }

    /// STS AssumeRole, signed by `client`'s credentials.
    public static func assumeRole(
        client: AWSClient, roleArn: String, sessionName: String, externalId: String? = nil, durationSeconds: Int? = nil
    ) async throws -> AWSCredentials {
        var parameters: [(name: String, value: String)] = [("RoleArn", roleArn), ("RoleSessionName", sessionName)]
        if let externalId { parameters.append(("ExternalId", externalId)) }
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let result = try await client.queryCall(service: .sts, action: "AssumeRole", parameters: parameters)
        return try parseCredentials(result, operation: "AssumeRole")
    }

    /// STS AssumeRoleWithWebIdentity (an unsigned call: the token is the proof).
    public static func assumeRoleWithWebIdentity(
        client: AWSClient, roleArn: String, sessionName: String, webIdentityToken: String, durationSeconds: Int? = nil
    ) async throws -> AWSCredentials {
        var parameters: [(name: String, value: String)] = [
            ("RoleArn", roleArn), ("RoleSessionName", sessionName), ("WebIdentityToken", webIdentityToken),
        ]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let result = try await client.queryCall(service: .sts, action: "AssumeRoleWithWebIdentity", parameters: parameters, signed: false)
        return try parseCredentials(result, operation: "AssumeRoleWithWebIdentity")
    }

    /// A session name from the clock, as the SDKs make when none is given.
    static func defaultSessionName(_ now: Date) -> String {
        "ecs-delegate-\(Int(now.timeIntervalSince1970 * 1000))"
    }
}

/// STS AssumeRole over any source of credentials (cross-account connectors).
public struct AssumeRoleCredentialProvider: CredentialProvider {
    /// The credentials that call AssumeRole.
    public let source: any CredentialProvider
    /// The role to assume.
    public let roleArn: String
    /// The external id the role's trust policy asks for.
    public let externalId: String?
    /// The session name (shown in CloudTrail).
    public let sessionName: String?
    /// The session length; `nil` for the role's default (1 hour).
    public let durationSeconds: Int?
    private let context: CredentialContext

    /// Creates the provider.
    public init(
        source: any CredentialProvider, roleArn: String, externalId: String? = nil, sessionName: String? = nil,
        durationSeconds: Int? = nil, context: CredentialContext
    ) {
        self.source = source
        self.roleArn = roleArn
        self.externalId = externalId
        self.sessionName = sessionName
        self.durationSeconds = durationSeconds
        self.context = context
    }

    /// Assumes the role and returns its temporary credentials.
    public func credentials() async throws -> AWSCredentials {
        do {
            return try await STSCredentialCalls.assumeRole(
                client: context.stsClient(source), roleArn: roleArn,
                sessionName: sessionName ?? STSCredentialCalls.defaultSessionName(context.now()),
                externalId: externalId, durationSeconds: durationSeconds)
        } catch let error as AWSError {
            throw AWSClientError(.credentialsFailed, "could not assume role \(roleArn): \(error)")
        } catch let error as AWSClientError where error.kind == .noCredentials {
            throw AWSClientError(.credentialsFailed, "could not assume role \(roleArn): the source credentials are missing: \(error.message)")
        }
    }
}

/// `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE` (+ `AWS_ROLE_SESSION_NAME`):
/// STS AssumeRoleWithWebIdentity with the token read from the file each time.
public struct WebIdentityCredentialProvider: CredentialProvider {
    private let context: CredentialContext
    private let roleArn: String?
    private let tokenFile: String?
    private let sessionName: String?

    /// Creates a provider from the context's environment.
    public init(context: CredentialContext) {
        self.context = context
        roleArn = context.environment["AWS_ROLE_ARN"].flatMap { $0.isEmpty ? nil : $0 }
        tokenFile = context.environment["AWS_WEB_IDENTITY_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        sessionName = context.environment["AWS_ROLE_SESSION_NAME"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Creates a provider with explicit settings (profiles with `web_identity_token_file`).
    public init(roleArn: String, tokenFile: String, sessionName: String?, context: CredentialContext) {
        self.context = context
        self.roleArn = roleArn
        self.tokenFile = tokenFile
        self.sessionName = sessionName
    }

    /// Exchanges the token for role credentials.
    public func credentials() async throws -> AWSCredentials {
        guard let roleArn, let tokenFile else {
            if roleArn == nil && tokenFile == nil {
                throw AWSClientError(.noCredentials, "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are not set")
            }
            throw AWSClientError(.credentialsFailed, "web identity needs both AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE; only one is set")
        }
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw AWSClientError(.credentialsFailed, "cannot read the web identity token file \(tokenFile): \(error.localizedDescription)")
        }
        do {
            return try await STSCredentialCalls.assumeRoleWithWebIdentity(
                client: context.stsClient(AnonymousCredentialProvider()), roleArn: roleArn,
                sessionName: sessionName ?? STSCredentialCalls.defaultSessionName(context.now()), webIdentityToken: token)
        } catch let error as AWSError {
            throw AWSClientError(.credentialsFailed, "could not assume role \(roleArn) with a web identity: \(error)")
        }
    }
}
