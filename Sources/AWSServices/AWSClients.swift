import AWSCore
import Foundation
import HTTPClient
import Logging

/// Makes the AWS clients a task needs, from its connector.
public struct AWSClients: Sendable {
    public let client: AWSClient
    public var ecs: ECS { ECS(client: client) }
    public var elb: ELBv2 { ELBv2(client: client) }
    public var autoScaling: ApplicationAutoScaling { ApplicationAutoScaling(client: client) }
    public var sts: STS { STS(client: client) }
    public var s3: S3 { S3(client: client) }
    /// Amazon CloudWatch (alarms).
    public var cloudWatch: CloudWatch { CloudWatch(client: client) }
    /// Amazon ECR (registry authorization tokens).
    public var ecr: ECR { ECR(client: client) }

    /// Builds clients for `connector` on the shared HTTP client.
    public init(
        connector: AWSConnector, http: HTTPClient, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        retryStats: RetryStats = RetryStats(), policy: ConnectorPolicy = .strict
    ) throws {
        let context = CredentialContext(environment: environment, httpClient: http, logger: logger, region: connector.region, stsEndpoint: connector.endpoint)
        let provider = try connector.provider(context: context, policy: policy)
        let config = AWSClientConfiguration(region: connector.region, endpointOverride: connector.endpoint, environment: environment)
        client = AWSClient(credentialProvider: provider, httpClient: http, configuration: config, logger: logger, retryStats: retryStats)
    }
}
