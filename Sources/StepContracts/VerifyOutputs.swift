/// What every `verify.*` step outputs, on success and on failure: its verdict line and the count behind it.
///
/// `passed`/`total` are answered probes of requests (`verify.http`), healthy
/// targets of targets (`verify.targetHealth`), and alarms not in ALARM of
/// alarms (`verify.alarms`). `verdict` is exactly the step's last log line.
public struct VerifyOutputs: Codable, Sendable, Equatable {
    /// The step's last log line, e.g. `20/20 requests answered 200 in 2.1 s`.
    public var verdict: String
    /// How many passed.
    public var passed: Int
    /// Out of how many.
    public var total: Int

    /// Creates the outputs.
    public init(verdict: String, passed: Int, total: Int) {
        self.verdict = verdict
        self.passed = passed
        self.total = total
    }
}
