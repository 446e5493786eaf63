import AWSSigV4
import Foundation
import HTTPClient

/// The JSON the ECS agent and EC2 instance metadata answer with.
package struct MetadataCredentialsResponse: Decodable {
    var AccessKeyId: String?
    var SecretAccessKey: String?
    var Token: String?
    var Expiration: String?
    var Code: String?
    var Message: String?

    package func credentials(source: String) throws -> AWSCredentials {
        if let code = Code, code != "Success" {
            throw AWSClientError(.credentialsFailed, "\(source) answered \(code): \(Message ?? "no message")")
        }
        guard let id = AccessKeyId, let secret = SecretAccessKey else {
            throw AWSClientError(.credentialsFailed, "\(source) answered without AccessKeyId or SecretAccessKey")
        }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: Token, expiration: Expiration.flatMap(parseISO8601))
    }
}

/// ECS container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on
/// 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI` with the token from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialProvider: CredentialProvider {
    private let context: CredentialContext
    private let relativeBase: String

    /// Creates a provider; `relativeBase` replaces `http://169.254.170.2` (for tests).
    public init(context: CredentialContext, relativeBase: String = "http://169.254.170.2") {
        self.context = context
        self.relativeBase = relativeBase
    }

    /// Whether a full URI may be used: https anywhere, http only to loopback or the ECS/EKS agent addresses.
    public static func isAllowedFullURI(_ uri: String) -> Bool {
        guard let c = URLComponents(string: uri), let scheme = c.scheme?.lowercased(), let host = c.host?.lowercased() else { return false }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        if host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.") { return true }
        return ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]"].contains(host)
    }

    /// Fetches the container's role credentials.
    public func credentials() async throws -> AWSCredentials {
        let env = context.environment
        let url: String
        if let relative = env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = relativeBase + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            guard Self.isAllowedFullURI(full) else {
                throw AWSClientError(
                    .credentialsFailed,
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback address or 169.254.170.2/169.254.170.23")
            }
            url = full
        } else {
            throw AWSClientError(.noCredentials, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set")
        }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        var token: String?
        if let file = env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            do {
                token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw AWSClientError(.credentialsFailed, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file): \(error.localizedDescription)")
            }
        } else if let t = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !t.isEmpty {
            token = t
        }
        if let token {
            guard !token.contains("\r"), !token.contains("\n") else {
                throw AWSClientError(.credentialsFailed, "the container authorization token contains a line break")
            }
            headers.append(("Authorization", token))
        }
        var lastError: Error?
        for attempt in 0..<3 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(100 * attempt)) }
            do {
                let response = try await context.httpClient.send(HTTPClientRequest(method: "GET", url: url, headers: headers, timeout: .seconds(5)))
                guard response.status == 200 else {
                    lastError = AWSClientError(.credentialsFailed, "the ECS container credentials endpoint answered HTTP \(response.status)")
                    if response.status >= 500 { continue }
                    break
                }
                guard let parsed = try? JSONDecoder().decode(MetadataCredentialsResponse.self, from: response.body) else {
                    throw AWSClientError(.credentialsFailed, "the ECS container credentials endpoint answered with something that is not credentials JSON")
                }
                return try parsed.credentials(source: "the ECS container credentials endpoint")
            } catch let error as HTTPClientError where error.isTransient {
                lastError = AWSClientError(.credentialsFailed, "cannot reach the ECS container credentials endpoint: \(error)")
            }
        }
        throw lastError ?? AWSClientError(.credentialsFailed, "the ECS container credentials endpoint failed")
    }
}

/// EC2 instance metadata credentials with IMDSv2 session tokens only (no IMDSv1
/// fallback). `AWS_EC2_METADATA_SERVICE_ENDPOINT` overrides the endpoint and
/// `AWS_EC2_METADATA_DISABLED=true` turns the provider off.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    private let context: CredentialContext

    /// Creates the provider.
    public init(context: CredentialContext) {
        self.context = context
    }

    /// Fetches a token, the role name, then the role's credentials.
    public func credentials() async throws -> AWSCredentials {
        let env = context.environment
        if env["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            throw AWSClientError(.noCredentials, "EC2 instance metadata is disabled by AWS_EC2_METADATA_DISABLED")
        }
        var base = env["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://169.254.169.254"
        while base.hasSuffix("/") { base.removeLast() }
        let http = context.httpClient
        let tokenResponse: HTTPClientResponse
        do {
            tokenResponse = try await http.send(HTTPClientRequest(
                method: "PUT", url: "\(base)/latest/api/token", headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
                timeout: .seconds(2)))
        } catch let error as HTTPClientError where error.isTransient {
            // No metadata service here: not an EC2 instance.
            throw AWSClientError(.noCredentials, "no EC2 instance metadata service at \(base)")
        }
        guard tokenResponse.status == 200 else {
            if tokenResponse.status == 403 || tokenResponse.status == 404 || tokenResponse.status == 405 {
                throw AWSClientError(.noCredentials, "EC2 instance metadata at \(base) refused an IMDSv2 token (HTTP \(tokenResponse.status))")
            }
            throw AWSClientError(.credentialsFailed, "EC2 instance metadata token request failed with HTTP \(tokenResponse.status)")
        }
        let token = String(decoding: tokenResponse.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let headers: [(name: String, value: String)] = [("X-aws-ec2-metadata-token", token)]
        let roleResponse = try await http.send(HTTPClientRequest(
            method: "GET", url: "\(base)/latest/meta-data/iam/security-credentials/", headers: headers, timeout: .seconds(2)))
        guard roleResponse.status == 200 else {
            if roleResponse.status == 404 {
                throw AWSClientError(.noCredentials, "this EC2 instance has no instance profile role")
            }
            throw AWSClientError(.credentialsFailed, "EC2 instance metadata role lookup failed with HTTP \(roleResponse.status)")
        }
        guard let role = String(decoding: roleResponse.body, as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !role.isEmpty
        else {
            throw AWSClientError(.noCredentials, "this EC2 instance has no instance profile role")
        }
        let credentialsResponse = try await http.send(HTTPClientRequest(
            method: "GET", url: "\(base)/latest/meta-data/iam/security-credentials/\(SigV4.uriEncode(role))", headers: headers,
            timeout: .seconds(2)))
        guard credentialsResponse.status == 200,
            let parsed = try? JSONDecoder().decode(MetadataCredentialsResponse.self, from: credentialsResponse.body)
        else {
            throw AWSClientError(.credentialsFailed, "EC2 instance metadata credentials for role \(role) failed (HTTP \(credentialsResponse.status))")
        }
        return try parsed.credentials(source: "EC2 instance metadata")
    }
}
