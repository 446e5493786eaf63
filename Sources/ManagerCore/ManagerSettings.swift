import DelegateProtocol
import Foundation

/// The fleet tuning the manager hands every delegate at registration.
public struct ManagerSettings: Sendable {
    public var heartbeatSeconds: Double = 10
    public var pollWaitSeconds: Double = 25
    public var logFlushMillis: Int = 200
    public var logBatchMaxLines: Int = 2000
    public var logBatchMaxBytes: Int = 1 << 20
    /// How long a lease lives without a heartbeat renewing it.
    public var leaseSeconds: Double = 30
    /// The largest request body accepted.
    public var maxBodyBytes: Int = 8 << 20
    /// Creates the defaults.
    public init() {}

    /// The ranges `validated()` enforces, each named by the `serve` flag that sets it.
    public static let heartbeatRange: ClosedRange<Double> = 1...300
    public static let pollWaitRange: ClosedRange<Double> = 1...120
    public static let leaseRange: ClosedRange<Double> = 5...3600
    public static let logFlushRange: ClosedRange<Int> = 10...60000
    public static let logBatchLinesRange: ClosedRange<Int> = 1...100_000

    /// These settings, or an error naming the first out-of-range flag and its range.
    ///
    /// A heartbeat of 0 is a busy loop, one of 1e30 overflows every delegate's
    /// timer, and a lease shorter than two heartbeats expires between them.
    public func validated() throws -> ManagerSettings {
        try Self.check("--heartbeat-seconds", heartbeatSeconds, Self.heartbeatRange)
        try Self.check("--poll-wait-seconds", pollWaitSeconds, Self.pollWaitRange)
        try Self.check("--lease-seconds", leaseSeconds, Self.leaseRange)
        guard leaseSeconds >= 2 * heartbeatSeconds else {
            throw ManagerSettingsError(
                "--lease-seconds must be at least twice --heartbeat-seconds (\(UntrustedNumber.text(heartbeatSeconds))), got \(UntrustedNumber.text(leaseSeconds)): a lease would expire between heartbeats")
        }
        try Self.check("--log-flush-millis", Double(logFlushMillis), Self.logFlushRange.asDoubles)
        try Self.check("--log-batch-max-lines", Double(logBatchMaxLines), Self.logBatchLinesRange.asDoubles)
        return self
    }

    /// Throws when `value` (NaN included) is outside `range`.
    private static func check(_ flag: String, _ value: Double, _ range: ClosedRange<Double>) throws {
        guard range.contains(value) else {
            throw ManagerSettingsError(
                "\(flag) must be from \(UntrustedNumber.text(range.lowerBound)) to \(UntrustedNumber.text(range.upperBound)), got \(UntrustedNumber.text(value))")
        }
    }

    /// A delegate silent for this long is shown as disconnected.
    package var staleAfter: TimeInterval { max(heartbeatSeconds * 3, pollWaitSeconds + heartbeatSeconds) }
}

/// A manager setting outside its range; the message names the flag.
public struct ManagerSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// Creates the error with its message.
    init(_ description: String) { self.description = description }
}

extension ClosedRange<Int> {
    /// The same bounds as doubles.
    fileprivate var asDoubles: ClosedRange<Double> { Double(lowerBound)...Double(upperBound) }
}
