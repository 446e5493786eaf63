import DelegateProtocol
import Foundation

/// `verify.http`'s payload: probe `url` `requests` times and pass when enough answers have the expected status (and body).
///
/// Every member but `url` may be absent and then takes its default. Each
/// probe is one GET with no retry, so a failing answer counts as one failure.
public struct HTTPVerifyPayload: StepPayload, Equatable {
    /// The URL probed: http or https, at most 2048 bytes, not a link-local host.
    public var url: String
    /// How many probes (1-1000, default 20).
    public var requests: Int?
    /// Seconds between one probe's end and the next one's start (0-60, default 0.5).
    public var intervalSeconds: Double?
    /// The statuses that count as answered: `200` or `200-299` (default `200-399`).
    public var expectStatus: String?
    /// A regular expression (NSRegularExpression, at most 1000 characters) the first 64 KiB of each body must match.
    public var expectBody: String?
    /// The share of probes that must pass (0-1, default 1: all of them).
    public var minSuccessRatio: Double?
    /// Each probe's time limit in seconds (1-300, default 5).
    public var timeoutSeconds: Int?
    /// curl `--connect-to` entries, `HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT` (at most 16).
    public var connectTo: [String]?
    /// The step's id in its pipeline.
    public var stepId: String?

    /// The probes when `requests` is absent.
    public static let defaultRequests = 20
    /// The probes `requests` may ask for.
    public static let requestsRange = 1...1000
    /// The pause when `intervalSeconds` is absent.
    public static let defaultIntervalSeconds = 0.5
    /// The pauses `intervalSeconds` may ask for.
    public static let intervalRange = 0.0...60.0
    /// The longest `expectBody`, in characters.
    public static let maxBodyPatternLength = 1000
    /// How much of each body `expectBody` is matched against.
    public static let bodyPrefixBytes = 64 << 10
    /// The share that must pass when `minSuccessRatio` is absent.
    public static let defaultMinSuccessRatio = 1.0
    /// The per-probe limit when `timeoutSeconds` is absent.
    public static let defaultTimeoutSeconds = 5
    /// The per-probe limits `timeoutSeconds` may ask for.
    public static let timeoutRange = 1...300

    /// Creates a payload.
    public init(url: String, requests: Int? = nil, intervalSeconds: Double? = nil, expectStatus: String? = nil, expectBody: String? = nil,
                minSuccessRatio: Double? = nil, timeoutSeconds: Int? = nil, connectTo: [String]? = nil, stepId: String? = nil) {
        self.url = url
        self.requests = requests
        self.intervalSeconds = intervalSeconds
        self.expectStatus = expectStatus
        self.expectBody = expectBody
        self.minSuccessRatio = minSuccessRatio
        self.timeoutSeconds = timeoutSeconds
        self.connectTo = connectTo
        self.stepId = stepId
    }

    /// Throws the `PayloadProblem` naming the first member that is missing, malformed or out of range.
    public func validate() throws(PayloadProblem) {
        if let why = URLRules.connectorURLProblem(url) { throw .member("url", why) }
        try PayloadCheck.range(requests, Self.requestsRange, "requests")
        try PayloadCheck.range(intervalSeconds, Self.intervalRange, "intervalSeconds")
        _ = try statusRange()
        _ = try bodyPattern()
        try PayloadCheck.range(minSuccessRatio, 0...1, "minSuccessRatio")
        try PayloadCheck.range(timeoutSeconds, Self.timeoutRange, "timeoutSeconds")
        _ = try connectMappings()
    }

    /// `expectStatus` read (default 200-399); a `PayloadProblem` names it when it is not a status or a range of them.
    public func statusRange() throws(PayloadProblem) -> HTTPStatusRange {
        guard let expectStatus else { return .successOrRedirect }
        return try HTTPStatusRange(parsing: expectStatus, member: "expectStatus")
    }

    /// `expectBody` compiled (nil when absent); a `PayloadProblem` names it when it is too long or does not compile.
    public func bodyPattern() throws(PayloadProblem) -> NSRegularExpression? {
        guard let expectBody else { return nil }
        if expectBody.isEmpty { throw .member("expectBody", "must not be empty") }
        // Measured in bytes first, so a huge string is refused without counting its characters.
        if expectBody.utf8.count > 4 * Self.maxBodyPatternLength || expectBody.count > Self.maxBodyPatternLength {
            throw .member("expectBody", "must be at most \(Self.maxBodyPatternLength) characters")
        }
        do {
            return try NSRegularExpression(pattern: expectBody)
        } catch {
            throw .member("expectBody", "is not a regular expression (NSRegularExpression, ICU syntax): '\(expectBody.prefix(64))'")
        }
    }

    /// `connectTo` read (empty when absent); a `PayloadProblem` names the entry at fault, e.g. `connectTo[2]`.
    public func connectMappings() throws(PayloadProblem) -> [ConnectToMapping] {
        guard let connectTo else { return [] }
        if connectTo.count > ConnectToMapping.maxCount {
            throw .member("connectTo", "must have at most \(ConnectToMapping.maxCount) entries, got \(connectTo.count)")
        }
        var out: [ConnectToMapping] = []
        for (i, entry) in connectTo.enumerated() {
            out.append(try ConnectToMapping(parsing: entry, member: "connectTo[\(i)]"))
        }
        return out
    }

    /// The probes to make.
    public var requestCount: Int { min(max(requests ?? Self.defaultRequests, Self.requestsRange.lowerBound), Self.requestsRange.upperBound) }
    /// The pause between probes.
    public var interval: Duration { .seconds(clamping: intervalSeconds ?? Self.defaultIntervalSeconds, to: Self.intervalRange) }
    /// The share that must pass.
    public var successRatio: Double { UntrustedNumber.clamped(minSuccessRatio ?? Self.defaultMinSuccessRatio, to: 0...1) }
    /// Each probe's time limit.
    public var timeout: Duration { .seconds(min(max(timeoutSeconds ?? Self.defaultTimeoutSeconds, Self.timeoutRange.lowerBound), Self.timeoutRange.upperBound)) }
}
