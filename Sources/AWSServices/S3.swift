import AWSCore
import AWSSigV4
import Foundation
import HTTPClient

/// An object read from S3.
public struct S3Object: Sendable {
    /// The object's bytes.
    public var body: Data
    /// `Content-Type`.
    public var contentType: String?
    /// `ETag`.
    public var eTag: String?
    /// `x-amz-version-id`.
    public var versionId: String?
    /// All response headers.
    public var headers: [(name: String, value: String)]
}

/// Amazon S3 operations (REST-XML).
public struct S3: Sendable {
    /// The client that signs and sends.
    public let client: AWSClient

    /// Creates the service facade.
    public init(client: AWSClient) {
        self.client = client
    }

    /// The endpoint and wire path (percent-encoded key) of an object under the client's settings.
    public func location(bucket: String, key: String) throws -> (endpoint: AWSEndpoint, path: String) {
        let c = client.configuration
        return try EndpointResolver.s3Object(
            bucket: bucket, key: key, region: c.region, override: c.serviceEndpoints["S3"] ?? c.endpointOverride,
            useFIPS: c.useFIPS, forcePathStyle: c.s3ForcePathStyle, environment: c.environment)
    }

    /// GetObject (optionally one version); keys may hold spaces and any Unicode.
    public func getObject(bucket: String, key: String, versionId: String? = nil) async throws -> S3Object {
        let (endpoint, path) = try location(bucket: bucket, key: key)
        let query = versionId.map { "versionId=\(SigV4.uriEncode($0))" } ?? ""
        let response = try await client.restCall(
            service: .s3, operation: "GetObject", method: "GET", endpoint: endpoint, path: path, query: query)
        return S3Object(
            body: response.body, contentType: response.header("Content-Type"), eTag: response.header("ETag"),
            versionId: response.header("x-amz-version-id"), headers: response.headers)
    }
}
