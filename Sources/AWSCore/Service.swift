import AWSSigV4
import Foundation

/// The wire protocol of a service.
public enum AWSWireProtocol: Sendable, Equatable {
    /// JSON 1.1 with `X-Amz-Target: <targetPrefix>.<Operation>`.
    case json(targetPrefix: String)
    /// Form-encoded `Action`/`Version`, XML responses.
    case query
    /// REST with XML bodies (S3).
    case restXML
}

/// What the client needs to know about one AWS service.
public struct AWSService: Sendable, Equatable {
    /// The SDK service id, e.g. `ECS`, `Elastic Load Balancing v2`; names `AWS_ENDPOINT_URL_<ID>`.
    public var id: String
    /// The SigV4 signing name, e.g. `ecs`, `elasticloadbalancing`.
    public var signingName: String
    /// The first label of the default host name, e.g. `ecs` in `ecs.us-east-1.amazonaws.com`.
    public var endpointPrefix: String
    /// The API version (sent as `Version` by Query services).
    public var apiVersion: String
    /// The wire protocol.
    public var wireProtocol: AWSWireProtocol

    /// Creates a service description.
    public init(id: String, signingName: String, endpointPrefix: String, apiVersion: String, wireProtocol: AWSWireProtocol) {
        self.id = id
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
        self.apiVersion = apiVersion
        self.wireProtocol = wireProtocol
    }

    /// Amazon ECS.
    public static let ecs = AWSService(
        id: "ECS", signingName: "ecs", endpointPrefix: "ecs", apiVersion: "2014-11-13",
        wireProtocol: .json(targetPrefix: "AmazonEC2ContainerServiceV20141113"))
    /// Elastic Load Balancing v2 (ALB/NLB).
    public static let elbv2 = AWSService(
        id: "Elastic Load Balancing v2", signingName: "elasticloadbalancing", endpointPrefix: "elasticloadbalancing",
        apiVersion: "2015-12-01", wireProtocol: .query)
    /// Application Auto Scaling.
    public static let applicationAutoScaling = AWSService(
        id: "Application Auto Scaling", signingName: "application-autoscaling", endpointPrefix: "application-autoscaling",
        apiVersion: "2016-02-06", wireProtocol: .json(targetPrefix: "AnyScaleFrontendService"))
    /// Amazon CloudWatch (alarms; the Query protocol, signed as `monitoring`).
    public static let cloudWatch = AWSService(
        id: "CloudWatch", signingName: "monitoring", endpointPrefix: "monitoring", apiVersion: "2010-08-01", wireProtocol: .query)
    /// AWS STS (regional endpoints).
    public static let sts = AWSService(
        id: "STS", signingName: "sts", endpointPrefix: "sts", apiVersion: "2011-06-15", wireProtocol: .query)
    /// Amazon S3.
    public static let s3 = AWSService(
        id: "S3", signingName: "s3", endpointPrefix: "s3", apiVersion: "2006-03-01", wireProtocol: .restXML)
    /// IAM (global; used by tests and tools).
    public static let iam = AWSService(
        id: "IAM", signingName: "iam", endpointPrefix: "iam", apiVersion: "2010-05-08", wireProtocol: .query)

    /// The `AWS_ENDPOINT_URL_<ID>` variable name: id uppercased, spaces to underscores.
    public var endpointEnvironmentVariable: String {
        "AWS_ENDPOINT_URL_" + id.uppercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// How SigV4 must treat this service's requests.
    public var signingOptions: SigV4Options {
        wireProtocol == .restXML ? .s3 : .standard
    }
}

/// A resolved endpoint: scheme, host (with a non-default port) and a base path.
public struct AWSEndpoint: Sendable, Equatable {
    /// `https` or `http`.
    public var scheme: String
    /// The host, with `:port` when one was given; this is also the signed `Host` header.
    public var host: String
    /// A path prefix from a custom endpoint URL (no trailing slash), usually empty.
    public var basePath: String

    /// Creates an endpoint.
    public init(scheme: String, host: String, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.basePath = basePath
    }

    /// Parses `https://host[:port][/path]`.
    public init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw AWSClientError(.invalidConfiguration, "endpoint URL \"\(url)\" is not an http(s) URL with a host; use e.g. https://ecs.us-east-1.amazonaws.com")
        }
        self.scheme = scheme
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self.host = components.port.map { "\(hostPart):\($0)" } ?? hostPart
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// The URL of `path` (which starts with `/`) on this endpoint.
    public func url(path: String, query: String = "") -> String {
        "\(scheme)://\(host)\(basePath)\(path)\(query.isEmpty ? "" : "?\(query)")"
    }
}

/// Endpoint resolution as the AWS SDKs do it.
public enum EndpointResolver {
    /// The DNS suffix of a region's partition.
    public static func dnsSuffix(region: String) -> String {
        if region.hasPrefix("cn-") { return "amazonaws.com.cn" }
        if region.hasPrefix("us-isob-") { return "sc2s.sgov.gov" }
        if region.hasPrefix("us-iso-") { return "c2s.ic.gov" }
        if region.hasPrefix("eu-isoe-") { return "cloud.adc-e.uk" }
        if region.hasPrefix("us-isof-") { return "csp.hci.ic.gov" }
        return "amazonaws.com"
    }

    /// The endpoint for `service` in `region`.
    ///
    /// Order: the explicit `override` (a connector's endpoint), then
    /// `AWS_ENDPOINT_URL_<SERVICE_ID>`, then `AWS_ENDPOINT_URL` (both ignored when
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), then
    /// `https://{prefix}[-fips].{region}.{partition suffix}`.
    public static func resolve(
        service: AWSService, region: String, override: String? = nil, useFIPS: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AWSEndpoint {
        if let override, !override.isEmpty { return try AWSEndpoint(url: override) }
        if environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true" {
            if let url = environment[service.endpointEnvironmentVariable], !url.isEmpty { return try AWSEndpoint(url: url) }
            if let url = environment["AWS_ENDPOINT_URL"], !url.isEmpty { return try AWSEndpoint(url: url) }
        }
        guard isValidRegion(region) else {
            throw AWSClientError(.invalidConfiguration, "region \"\(region)\" is not valid; set AWS_REGION or the connector's region, e.g. us-east-1")
        }
        let fips = useFIPS || environment["AWS_USE_FIPS_ENDPOINT"]?.lowercased() == "true"
        let suffix = dnsSuffix(region: region)
        if service.id == "IAM" && !fips {
            return AWSEndpoint(scheme: "https", host: region.hasPrefix("cn-") ? "iam.cn-north-1.amazonaws.com.cn" : "iam.amazonaws.com")
        }
        let prefix = fips ? "\(service.endpointPrefix)-fips" : service.endpointPrefix
        return AWSEndpoint(scheme: "https", host: "\(prefix).\(region).\(suffix)")
    }

    /// Whether `region` looks like a region name (letters, digits, dashes).
    public static func isValidRegion(_ region: String) -> Bool {
        !region.isEmpty && region.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Whether a bucket can be addressed virtual-hosted style over TLS (a DNS label without dots).
    public static func isVirtualHostableBucket(_ bucket: String) -> Bool {
        let bytes = Array(bucket.utf8)
        guard bytes.count >= 3, bytes.count <= 63 else { return false }
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    /// The endpoint, path and host for an S3 object: virtual-hosted style
    /// (`bucket.s3.region.amazonaws.com/key`) by default, path style
    /// (`s3.region.amazonaws.com/bucket/key`) when forced, for custom endpoints,
    /// and for bucket names that are not DNS labels.
    public static func s3Object(
        bucket: String, key: String, region: String, override: String? = nil, useFIPS: Bool = false, forcePathStyle: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (endpoint: AWSEndpoint, path: String) {
        let base = try resolve(service: .s3, region: region, override: override, useFIPS: useFIPS, environment: environment)
        let custom = (override?.isEmpty == false) || base.host != defaultS3Host(region: region, useFIPS: useFIPS, environment: environment)
        let encodedKey = SigV4.uriEncode(key, keepSlash: true)
        if forcePathStyle || custom || !isVirtualHostableBucket(bucket) {
            return (base, "/\(SigV4.uriEncode(bucket))/\(encodedKey)")
        }
        return (AWSEndpoint(scheme: base.scheme, host: "\(bucket).\(base.host)", basePath: base.basePath), "/\(encodedKey)")
    }

    private static func defaultS3Host(region: String, useFIPS: Bool, environment: [String: String]) -> String {
        let fips = useFIPS || environment["AWS_USE_FIPS_ENDPOINT"]?.lowercased() == "true"
        return "\(fips ? "s3-fips" : "s3").\(region).\(dnsSuffix(region: region))"
    }
}
