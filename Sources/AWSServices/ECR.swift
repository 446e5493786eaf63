import AWSCore
import Foundation

extension AWSService {
    /// Amazon ECR (private registries): JSON 1.1, signing name `ecr`.
    public static let ecr = AWSService(
        id: "ECR", signingName: "ecr", endpointPrefix: "api.ecr", apiVersion: "2015-09-21",
        wireProtocol: .json(targetPrefix: "AmazonEC2ContainerRegistry_V20150921"))
}

/// The basic credentials ECR hands out for `docker login`: user `AWS`, a 12-hour password.
public struct ECRAuthorization: Sendable, Equatable {
    /// The user name from the token (always `AWS` today).
    public var username: String
    /// The password from the token.
    public var password: String
    /// The registry the token is for, e.g. `https://123456789012.dkr.ecr.us-east-1.amazonaws.com`.
    public var proxyEndpoint: String
    /// When the token expires (nil when ECR gave no usable time).
    public var expiresAt: Date?

    /// Creates an authorization.
    public init(username: String, password: String, proxyEndpoint: String, expiresAt: Date?) {
        self.username = username
        self.password = password
        self.proxyEndpoint = proxyEndpoint
        self.expiresAt = expiresAt
    }

    /// The longest token ECR's answer may carry before it is refused (real ones are about 2 KB).
    static let maxTokenBytes = 16 << 10

    /// Reads `authorizationData[0]` of a GetAuthorizationToken answer; an invalid answer is an error naming the member.
    public init(answer: JSONValue) throws {
        guard let data = answer["authorizationData"]?[0] else {
            throw AWSClientError(.invalidResponse, "ECR GetAuthorizationToken returned no authorizationData")
        }
        guard let token = data["authorizationToken"]?.stringValue, !token.isEmpty, token.utf8.count <= Self.maxTokenBytes else {
            throw AWSClientError(.invalidResponse, "ECR GetAuthorizationToken returned no authorizationToken (or one over \(Self.maxTokenBytes) bytes)")
        }
        guard let decoded = Data(base64Encoded: token).flatMap({ String(data: $0, encoding: .utf8) }),
            let colon = decoded.firstIndex(of: ":")
        else {
            throw AWSClientError(.invalidResponse, "ECR authorizationToken is not base64 of USER:PASSWORD")
        }
        let user = String(decoded[..<colon])
        let password = String(decoded[decoded.index(after: colon)...])
        guard !user.isEmpty, !password.isEmpty else {
            throw AWSClientError(.invalidResponse, "ECR authorizationToken has an empty user or password")
        }
        let seconds = data["expiresAt"]?.doubleValue.flatMap { UntrustedNumber.integer($0.rounded(.down), in: 0...32_503_680_000) }
        self.init(
            username: user, password: password, proxyEndpoint: data["proxyEndpoint"]?.stringValue ?? "",
            expiresAt: seconds.map { Date(timeIntervalSince1970: TimeInterval($0)) })
    }
}

/// Amazon ECR operations (JSON 1.1): the registry authorization token.
public struct ECR: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// GetAuthorizationToken for the account's default registry: basic credentials and their expiry.
    public func getAuthorizationToken() async throws -> ECRAuthorization {
        try ECRAuthorization(answer: try await client.jsonCall(service: .ecr, operation: "GetAuthorizationToken"))
    }
}
