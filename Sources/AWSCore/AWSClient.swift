import AWSSigV4
import Digests
import Foundation
import HTTPClient
import Logging

/// Settings of one `AWSClient` (typically one per connector).
public struct AWSClientConfiguration: Sendable {
    /// The region, e.g. `us-east-1`.
    public var region: String
    /// An endpoint URL used for every service (a connector's override), or `nil`.
    public var endpointOverride: String?
    /// Endpoint URLs per service id (e.g. `"ECS"`), taking precedence over `endpointOverride`.
    public var serviceEndpoints: [String: String]
    /// Use FIPS endpoints (also set by `AWS_USE_FIPS_ENDPOINT=true`).
    public var useFIPS: Bool
    /// Address S3 buckets path style (always so with custom endpoints).
    public var s3ForcePathStyle: Bool
    /// The retry policy.
    public var retry: RetryConfiguration
    /// The environment read for `AWS_ENDPOINT_URL*` and `AWS_USE_FIPS_ENDPOINT`.
    public var environment: [String: String]
    /// A per-request time limit, or `nil` for the HTTP client's default.
    public var timeout: Duration?
    /// The clock used for signing dates.
    public var now: @Sendable () -> Date

    /// Creates a configuration.
    public init(
        region: String, endpointOverride: String? = nil, serviceEndpoints: [String: String] = [:], useFIPS: Bool = false,
        s3ForcePathStyle: Bool = false, retry: RetryConfiguration? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Duration? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.region = region
        self.endpointOverride = endpointOverride
        self.serviceEndpoints = serviceEndpoints
        self.useFIPS = useFIPS
        self.s3ForcePathStyle = s3ForcePathStyle
        self.retry = retry ?? RetryConfiguration.fromEnvironment(environment)
        self.environment = environment
        self.timeout = timeout
        self.now = now
    }
}

/// Sends signed requests to AWS services with the standard retry mode; the
/// protocol layers (JSON 1.1, Query, REST-XML) sit on top of `execute`.
public final class AWSClient: Sendable {
    /// Where credentials come from.
    public let credentialProvider: any CredentialProvider
    /// The transport.
    public let httpClient: HTTPClient
    /// The settings.
    public let configuration: AWSClientConfiguration
    /// The retry quota shared by all calls of this client.
    public let retryQuota: RetryQuota
    /// Counts of attempts and retries.
    public let retryStats: RetryStats
    /// Where retries and failures are logged (at debug; never with secrets).
    public let logger: Logger
    /// The offset between this machine's clock and AWS's, learnt from skew errors.
    public let clockSkew = ClockSkew()

    /// Creates a client.
    public init(
        credentialProvider: any CredentialProvider, httpClient: HTTPClient, configuration: AWSClientConfiguration,
        logger: Logger, retryStats: RetryStats = RetryStats()
    ) {
        self.credentialProvider = credentialProvider
        self.httpClient = httpClient
        self.configuration = configuration
        self.retryQuota = RetryQuota(capacity: configuration.retry.quotaCapacity)
        self.retryStats = retryStats
        self.logger = logger
    }

    /// The endpoint of `service` under this client's settings.
    public func endpoint(for service: AWSService) throws -> AWSEndpoint {
        try EndpointResolver.resolve(
            service: service, region: configuration.region,
            override: configuration.serviceEndpoints[service.id] ?? configuration.endpointOverride,
            useFIPS: configuration.useFIPS, environment: configuration.environment)
    }

    // MARK: protocols

    /// Calls a JSON 1.1 operation (ECS, Application Auto Scaling) and returns the response body.
    public func jsonCall(service: AWSService, operation: String, input: JSONValue = .object([:])) async throws -> JSONValue {
        guard case .json(let targetPrefix) = service.wireProtocol else {
            throw AWSClientError(.invalidConfiguration, "\(service.id) does not use the JSON protocol")
        }
        let endpoint = try endpoint(for: service)
        let body = input.isNull ? Data("{}".utf8) : input.serialized()
        let response = try await execute(
            service: service, operation: operation, method: "POST", endpoint: endpoint, path: "/",
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "\(targetPrefix).\(operation)")],
            body: body)
        do {
            return try JSONValue(parsing: response.body)
        } catch {
            throw AWSClientError(.invalidResponse, "\(service.id) \(operation) returned a body that is not JSON (\(response.body.count) bytes)")
        }
    }

    /// Calls a Query operation (ELBv2, STS, IAM) and returns the `<ActionResult>` element.
    public func queryCall(
        service: AWSService, action: String, parameters: [(name: String, value: String)] = [], signed: Bool = true
    ) async throws -> XMLTree {
        let endpoint = try endpoint(for: service)
        var body = "Action=\(SigV4.uriEncode(action))&Version=\(SigV4.uriEncode(service.apiVersion))"
        for (name, value) in parameters {
            body += "&\(SigV4.uriEncode(name))=\(SigV4.uriEncode(value))"
        }
        let response = try await execute(
            service: service, operation: action, method: "POST", endpoint: endpoint, path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(body.utf8), signed: signed)
        let root = try XMLTree.parse(response.body)
        return root.child("\(action)Result") ?? root
    }

    /// Sends a REST request (S3) and returns the successful response.
    public func restCall(
        service: AWSService, operation: String, method: String, endpoint: AWSEndpoint, path: String, query: String = "",
        headers: [(name: String, value: String)] = [], body: Data = Data()
    ) async throws -> HTTPClientResponse {
        try await execute(
            service: service, operation: operation, method: method, endpoint: endpoint, path: path, query: query,
            headers: headers, body: body)
    }

    // MARK: core

    /// Signs and sends one request, retrying per the standard mode; returns a 2xx
    /// response or throws `AWSError` / `HTTPClientError` / `AWSClientError`.
    public func execute(
        service: AWSService, operation: String, method: String, endpoint: AWSEndpoint, path: String, query: String = "",
        headers: [(name: String, value: String)], body: Data, signed: Bool = true
    ) async throws -> HTTPClientResponse {
        let retry = configuration.retry
        let payloadHash = body.isEmpty ? SigV4.emptyPayloadHash : SHA256Digest.hex(body)
        let fullPath = endpoint.basePath + path
        let url = endpoint.url(path: path, query: query)
        var lastRetryCost = 0
        var attempt = 0
        while true {
            try Task.checkCancellation()
            attempt += 1
            var requestHeaders: [(name: String, value: String)] = [("Host", endpoint.host)] + headers
            // libcurl labels a body without a type as a form, which S3 would store as the object's type.
            if !body.isEmpty && !headers.contains(where: { $0.name.caseInsensitiveCompare("Content-Type") == .orderedSame }) {
                requestHeaders.append(("Content-Type", "application/octet-stream"))
            }
            if signed {
                let credentials = try await credentialProvider.credentials()
                let signer = SigV4Signer(
                    credentials: credentials, region: configuration.region, service: service.signingName,
                    options: service.signingOptions)
                let request = SigV4Request(method: method, path: fullPath, query: query, headers: requestHeaders, payloadHash: payloadHash)
                requestHeaders = signer.signHeaders(request, date: clockSkew.correct(configuration.now())).headers
            }
            retryStats.recordAttempt()
            let failure: AttemptFailure
            do {
                let response = try await httpClient.send(
                    HTTPClientRequest(method: method, url: url, headers: requestHeaders, body: body, timeout: configuration.timeout))
                if (200..<300).contains(response.status) {
                    retryQuota.release(lastRetryCost > 0 ? lastRetryCost : 1)
                    retryStats.recordCall(service: service.id, operation: operation, outcome: "ok")
                    return response
                }
                let error = AWSError.decode(
                    service: service.id, operation: operation, status: response.status, headers: response.headers, body: response.body)
                retryStats.recordCall(service: service.id, operation: operation, outcome: error.boundedCode)
                failure = .service(error, retryAfter: retryAfter(response.headers))
                if ClockSkew.codes.contains(error.code), clockSkew.adjust(serverDate: response.header("Date"), now: configuration.now()) {
                    // Signed with a wrong clock: retry once at the server's time.
                    logger.debug("correcting for clock skew", metadata: ["aws_error_code": "\(error.code)", "skew_seconds": "\(Int(clockSkew.offset))"])
                    if attempt < retry.maxAttempts {
                        retryStats.recordRetry(code: error.code)
                        continue
                    }
                }
            } catch let error as HTTPClientError {
                failure = .transport(error)
                retryStats.recordCall(service: service.id, operation: operation, outcome: error.kind.rawValue)
            }
            guard failure.isRetryable else { throw failure.error }
            guard attempt < retry.maxAttempts else {
                logger.debug("AWS call failed after \(attempt) attempts", metadata: metadata(service, operation, failure, attempt))
                throw failure.error
            }
            let cost = failure.isTimeout ? retry.timeoutRetryCost : retry.retryCost
            guard retryQuota.acquire(cost) else {
                retryStats.recordQuotaRefusal()
                logger.debug("AWS retry quota exhausted; not retrying", metadata: metadata(service, operation, failure, attempt))
                throw failure.error
            }
            lastRetryCost = cost
            var delay = retry.backoff(attempt: attempt - 1)
            if case .service(_, let after?) = failure { delay = min(max(delay, after), retry.maxBackoff) }
            retryStats.recordRetry(code: failure.code)
            var meta = metadata(service, operation, failure, attempt)
            meta["delay_ms"] = "\(Int(delay.seconds * 1000))"
            logger.debug("retrying AWS call", metadata: meta)
            try await retry.sleep(delay)
        }
    }

    private func metadata(_ service: AWSService, _ operation: String, _ failure: AttemptFailure, _ attempt: Int) -> Logger.Metadata {
        ["aws_service": "\(service.id)", "aws_operation": "\(operation)", "aws_error_code": "\(failure.code)", "attempt": "\(attempt)"]
    }
}

/// Builds Query-protocol parameters from JSON values.
public enum QueryParameters {
    /// Flattens `value` under `prefix`: objects become `Prefix.Key`, lists
    /// `Prefix.member.N` (N from 1), an empty list `Prefix=` and scalars their text.
    public static func flatten(_ value: JSONValue, prefix: String) -> [(name: String, value: String)] {
        switch value {
        case .null:
            return []
        case .bool(let b):
            return [(prefix, b ? "true" : "false")]
        case .number:
            return [(prefix, value.jsonString)]
        case .string(let s):
            return [(prefix, s)]
        case .array(let a):
            if a.isEmpty { return [(prefix, "")] }
            return a.enumerated().flatMap { flatten($0.element, prefix: "\(prefix).member.\($0.offset + 1)") }
        case .object(let o):
            return o.keys.sorted().flatMap { key in
                flatten(o[key] ?? .null, prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
            }
        }
    }

    /// Flattens the members of an input object (no prefix).
    public static func flatten(_ input: JSONValue) -> [(name: String, value: String)] {
        flatten(input, prefix: "")
    }
}

/// The difference between the local clock and the service's, applied to signing
/// dates after a `RequestTimeTooSkewed`-style error, as the SDKs do.
public final class ClockSkew: @unchecked Sendable {
    /// Error codes that mean the signature's date was too far from the server's.
    public static let codes: Set<String> = [
        "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", "InvalidSignatureException", "SignatureDoesNotMatch",
        "AuthFailure",
    ]

    private let lock = NSLock()
    private var _offset: TimeInterval = 0

    /// Creates a zero offset.
    public init() {}

    /// Seconds to add to the local clock.
    public var offset: TimeInterval { lock.withLock { _offset } }

    /// The local time corrected by the offset.
    public func correct(_ now: Date) -> Date {
        now.addingTimeInterval(offset)
    }

    /// Learns the offset from a response `Date` header; `true` when it changed by
    /// more than four minutes (so a retry at the corrected time may succeed).
    public func adjust(serverDate header: String?, now: Date) -> Bool {
        guard let header, let server = ClockSkew.parseHTTPDate(header) else { return false }
        let skew = server.timeIntervalSince(now)
        return lock.withLock {
            guard abs(skew - _offset) > 240 else { return false }
            _offset = skew
            return true
        }
    }

    /// Parses an RFC 7231 date (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func parseHTTPDate(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: text)
    }
}
