import Foundation
import HTTPClient
import JSONValues
import Timing

/// The AWS SDKs' "standard" retry mode, with more attempts than the SDKs' 3.
///
/// A deployment is a sequence of dozens of calls, each of which must get
/// through: with 3 attempts, an API that throttles a fifth of the calls fails
/// about one call in a hundred and with it the deployment (issue 13's chaos
/// test did). 8 attempts with capped exponential backoff ride out throttling,
/// 5xx bursts and a dropped endpoint of several seconds; the retry quota still
/// stops a client from multiplying the load of a real outage.
public struct RetryConfiguration: Sendable {
    /// The default attempts in all (the SDKs default to 3).
    public static let defaultMaxAttempts = 8
    /// Attempts in all, the first included (default `defaultMaxAttempts`).
    public var maxAttempts: Int
    /// The backoff base: attempt `i` (from 0) waits `random[0,1) * base * 2^i`.
    public var baseDelay: Duration
    /// The longest single backoff.
    public var maxBackoff: Duration
    /// The retry quota's capacity (tokens).
    public var quotaCapacity: Int
    /// Tokens a retry costs.
    public var retryCost: Int
    /// Tokens a retry after a timeout costs.
    public var timeoutRetryCost: Int
    /// How a backoff is waited out (injectable so tests need not sleep).
    public var sleep: @Sendable (Duration) async throws -> Void
    /// The random source for jitter, in [0, 1).
    public var random: @Sendable () -> Double

    /// Creates a configuration; the defaults are the SDKs' standard mode.
    public init(
        maxAttempts: Int = RetryConfiguration.defaultMaxAttempts, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20),
        quotaCapacity: Int = 500, retryCost: Int = 5, timeoutRetryCost: Int = 10,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.quotaCapacity = quotaCapacity
        self.retryCost = retryCost
        self.timeoutRetryCost = timeoutRetryCost
        self.sleep = sleep
        self.random = random
    }

    /// The most attempts `AWS_MAX_ATTEMPTS` may ask for (a larger value is taken as this).
    public static let maxAttemptsLimit = 100

    /// Reads `AWS_MAX_ATTEMPTS` from the environment over the default (`defaultMaxAttempts`), at most `maxAttemptsLimit`.
    public static func fromEnvironment(_ environment: [String: String]) -> RetryConfiguration {
        var c = RetryConfiguration()
        if let s = environment["AWS_MAX_ATTEMPTS"], let n = Int(s), n > 0 { c.maxAttempts = min(n, maxAttemptsLimit) }
        return c
    }

    /// The backoff before retry number `attempt` (0 for the first retry): full jitter over the one curve (`Backoff`), `random() · min(maxBackoff, baseDelay·2^attempt)`.
    public func backoff(attempt: Int) -> Duration {
        Backoff(base: baseDelay, cap: maxBackoff).delay(attempt: attempt, jitter: random())
    }
}

/// Error codes the standard mode treats as throttling.
public let throttlingErrorCodes: Set<String> = [
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
]

/// Error codes the standard mode treats as transient.
public let transientErrorCodes: Set<String> = ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError"]

/// HTTP statuses retried whatever the code.
public let transientStatusCodes: Set<Int> = [500, 502, 503, 504]

/// Counts of what the retry logic did; safe to read from any thread.
public final class RetryStats: @unchecked Sendable {
    private let lock = NSLock()
    private var _attempts = 0
    private var _retries = 0
    private var _quotaRefusals = 0
    private var _byCode: [String: Int] = [:]

    /// Creates zeroed counters.
    public init() {}

    /// Requests sent, retries included.
    public var attempts: Int { lock.withLock { _attempts } }
    /// Retries made.
    public var retries: Int { lock.withLock { _retries } }
    /// Retries refused because the retry quota was empty.
    public var quotaRefusals: Int { lock.withLock { _quotaRefusals } }
    /// Retries per error code (`connect`, `timeout` etc. for transport errors).
    ///
    /// The codes come from AWS answers and these counters live as long as the
    /// delegate: the first `maxCodes` codes are counted by name, later ones under `other`.
    public var retriesByCode: [String: Int] { lock.withLock { _byCode } }
    /// The most error codes counted by name.
    public static let maxCodes = 64

    func recordAttempt() { lock.withLock { _attempts += 1 } }
    package func recordRetry(code: String) {
        lock.withLock {
            _retries += 1
            let key = _byCode[code] != nil || _byCode.count < Self.maxCodes ? code : "other"
            _byCode[key, default: 0] += 1
        }
    }
    func recordQuotaRefusal() { lock.withLock { _quotaRefusals += 1 } }

    private var _calls: [AWSCallLabel: Int] = [:]
    /// The most (service, operation, outcome) series counted by name; later ones count under `other`.
    public static let maxCallSeries = 1024

    /// Attempts by service, operation and outcome (`ok`, an AWS error code, or a transport failure such as `connect`).
    public var calls: [AWSCallLabel: Int] { lock.withLock { _calls } }

    /// Counts one attempt of `operation` on `service` that ended with `outcome`.
    func recordCall(service: String, operation: String, outcome: String) {
        lock.withLock {
            var label = AWSCallLabel(service: service, operation: operation, outcome: outcome)
            if _calls[label] == nil && _calls.count >= Self.maxCallSeries { label = AWSCallLabel(service: "other", operation: "other", outcome: "other") }
            _calls[label, default: 0] += 1
        }
    }
}

/// The labels of an AWS attempt counter: which service, which operation, how it ended.
public struct AWSCallLabel: Hashable, Sendable {
    /// The service id, e.g. `ECS`.
    public var service: String
    /// The operation, e.g. `DescribeServices`.
    public var operation: String
    /// `ok`, the bounded AWS error code (`ThrottlingException`), or the transport failure (`connect`, `timeout`).
    public var outcome: String

    /// A label set.
    public init(service: String, operation: String, outcome: String) {
        self.service = service
        self.operation = operation
        self.outcome = outcome
    }
}

/// The retry quota: a token bucket shared by every call of one client, so an
/// outage does not multiply the load by the attempt count.
public final class RetryQuota: @unchecked Sendable {
    private let lock = NSLock()
    private var tokens: Int
    private let capacity: Int

    /// Creates a full bucket.
    public init(capacity: Int = 500) {
        self.capacity = capacity
        tokens = capacity
    }

    /// Tokens available now.
    public var available: Int { lock.withLock { tokens } }

    /// Takes `cost` tokens; `false` (and nothing taken) when there are not enough.
    public func acquire(_ cost: Int) -> Bool {
        lock.withLock {
            guard tokens >= cost else { return false }
            tokens -= cost
            return true
        }
    }

    /// Returns `amount` tokens after a success, up to the capacity.
    public func release(_ amount: Int) {
        lock.withLock { tokens = min(capacity, tokens + amount) }
    }
}

/// Why one attempt failed, as the retry logic sees it.
enum AttemptFailure {
    case service(AWSError, retryAfter: Duration?)
    case transport(HTTPClientError)

    var code: String {
        switch self {
        case .service(let e, _): return e.boundedCode
        case .transport(let e): return e.kind.rawValue
        }
    }

    var isRetryable: Bool {
        switch self {
        case .service(let e, _):
            return throttlingErrorCodes.contains(e.code) || transientErrorCodes.contains(e.code) || transientStatusCodes.contains(e.status)
        case .transport(let e):
            return e.isTransient
        }
    }

    var isTimeout: Bool {
        switch self {
        case .service(let e, _): return e.code == "RequestTimeout" || e.code == "RequestTimeoutException"
        case .transport(let e): return e.kind == .timeout
        }
    }

    var error: Error {
        switch self {
        case .service(let e, _): return e
        case .transport(let e): return e
        }
    }
}

/// The longest `Retry-After` taken as given; a longer one (`1e20`, `inf`) means "wait as long as we ever do".
let retryAfterLimitSeconds: Double = 86_400

/// Parses `Retry-After` (seconds) or `x-amz-retry-after` (milliseconds), clamped to `retryAfterLimitSeconds`.
///
/// The value comes from the server: any number, `inf` or `1e20` included, gives a delay and never traps.
package func retryAfter(_ headers: [(name: String, value: String)]) -> Duration? {
    for (name, value) in headers {
        let v = value.trimmingCharacters(in: .whitespaces)
        if name.caseInsensitiveCompare("Retry-After") == .orderedSame, let s = Double(v), s >= 0 {
            return .seconds(clamping: s, to: 0...retryAfterLimitSeconds)
        }
        if name.caseInsensitiveCompare("x-amz-retry-after") == .orderedSame, let ms = Int64(v), ms >= 0 {
            return .seconds(clamping: Double(ms) / 1000, to: 0...retryAfterLimitSeconds)
        }
    }
    return nil
}
