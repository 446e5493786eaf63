import DelegateProtocol

/// The ranges the delegate holds the manager's tuning to.
///
/// The manager's answer is input from outside like any other: a heartbeat of
/// 1e30 seconds would trap when turned into a `Duration`, and one of 0 would
/// spin. Each value is clamped into a range that keeps the delegate live.
public enum ManagerTuning {
    /// Heartbeat interval, seconds.
    public static let heartbeatSeconds: ClosedRange<Double> = 1...300
    /// Long-poll wait, seconds.
    public static let pollWaitSeconds: ClosedRange<Double> = 1...120
    /// Log flush interval, milliseconds.
    public static let logFlushMillis: ClosedRange<Int> = 10...60_000
    /// Lines in one log batch.
    public static let logBatchMaxLines: ClosedRange<Int> = 1...100_000
    /// Bytes in one log batch.
    public static let logBatchMaxBytes: ClosedRange<Int> = 1024...(64 << 20)

    /// The answer with every value inside its range, and the names of those that were not.
    public static func clamp(_ r: RegisterResponse) -> (RegisterResponse, adjusted: [String]) {
        var out = r
        var adjusted: [String] = []
        out.heartbeatSeconds = UntrustedNumber.clamped(r.heartbeatSeconds, to: heartbeatSeconds)
        if out.heartbeatSeconds != r.heartbeatSeconds { adjusted.append("heartbeatSeconds \(r.heartbeatSeconds) -> \(out.heartbeatSeconds)") }
        out.pollWaitSeconds = UntrustedNumber.clamped(r.pollWaitSeconds, to: pollWaitSeconds)
        if out.pollWaitSeconds != r.pollWaitSeconds { adjusted.append("pollWaitSeconds \(r.pollWaitSeconds) -> \(out.pollWaitSeconds)") }
        for (name, path, range) in [("logFlushMillis", \RegisterResponse.logFlushMillis, logFlushMillis),
                                    ("logBatchMaxLines", \RegisterResponse.logBatchMaxLines, logBatchMaxLines),
                                    ("logBatchMaxBytes", \RegisterResponse.logBatchMaxBytes, logBatchMaxBytes)] {
            let value = r[keyPath: path]
            let clamped = min(max(value, range.lowerBound), range.upperBound)
            out[keyPath: path] = clamped
            if clamped != value { adjusted.append("\(name) \(value) -> \(clamped)") }
        }
        return (out, adjusted)
    }
}
