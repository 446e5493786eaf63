import Foundation

/// What an execution does when a step fails: roll back what ran (the default), stop as it is, carry on, or try the step again first.
///
/// In a pipeline file, a step's `onFailure` is `rollback`, `abort`, `ignore`,
/// or `{retry: {count: N, intervalSeconds: S}}` (then rollback once the
/// retries are spent). A cancelled step always rolls back: a person asked it to stop.
public enum FailureStrategy: Codable, Sendable, Equatable {
    case rollback
    /// Stop without rolling anything back (phase `aborted`).
    case abort
    /// Count the step as done and go on with the next.
    case ignore
    /// Submit the step again up to `count` times, `intervalSeconds` apart, then roll back.
    case retry(count: Int, intervalSeconds: Int)

    /// The most retries a step may ask for.
    public static let maxRetries = 10
    /// The longest pause between retries, in seconds.
    public static let maxIntervalSeconds = 3600

    private enum Keys: String, CodingKey { case retry }
    private enum RetryKeys: String, CodingKey { case count, intervalSeconds }

    /// Decodes `"rollback"`, `"abort"`, `"ignore"` or `{"retry": {"count": N, "intervalSeconds": S}}`.
    public init(from decoder: any Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self) {
            switch word {
            case "rollback": self = .rollback
            case "abort": self = .abort
            case "ignore": self = .ignore
            default: throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown failure strategy '\(word)' (rollback, abort, ignore, or {retry: {count, intervalSeconds}})"))
            }
            return
        }
        let retry = try decoder.container(keyedBy: Keys.self).nestedContainer(keyedBy: RetryKeys.self, forKey: .retry)
        let count = try retry.decode(Int.self, forKey: .count)
        let interval = try retry.decodeIfPresent(Int.self, forKey: .intervalSeconds) ?? 0
        guard (1...Self.maxRetries).contains(count), (0...Self.maxIntervalSeconds).contains(interval) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "retry needs count 1-\(Self.maxRetries) and intervalSeconds 0-\(Self.maxIntervalSeconds)"))
        }
        self = .retry(count: count, intervalSeconds: interval)
    }

    /// Encodes the form `init(from:)` reads.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .rollback, .abort, .ignore:
            var c = encoder.singleValueContainer()
            try c.encode(self == .rollback ? "rollback" : self == .abort ? "abort" : "ignore")
        case .retry(let count, let interval):
            var c = encoder.container(keyedBy: Keys.self)
            var r = c.nestedContainer(keyedBy: RetryKeys.self, forKey: .retry)
            try r.encode(count, forKey: .count)
            try r.encode(interval, forKey: .intervalSeconds)
        }
    }
}
