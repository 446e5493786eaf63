import DelegateProtocol
import Foundation
import Logging

/// What a running task gets: its envelope, its log, and the delegate's logger.
public struct TaskContext: Sendable {
    /// The leased task.
    public let envelope: TaskEnvelope
    /// Where the task's user-visible lines go.
    public let log: TaskLog
    /// The delegate's own logger (journald), for operator-facing diagnostics.
    public let logger: Logger
}

/// What a task returns when it succeeds.
public struct TaskOutcome: Sendable {
    /// Named outputs for later steps.
    public var outputs: [String: JSONValue]
    /// What to restore on rollback, if the task changed anything.
    public var rollbackSnapshot: JSONValue?
    /// Creates an outcome.
    public init(outputs: [String: JSONValue] = [:], rollbackSnapshot: JSONValue? = nil) {
        self.outputs = outputs
        self.rollbackSnapshot = rollbackSnapshot
    }
}

/// A failure that carries more than a `TaskError`: the status (`failed` or
/// `cancelled`), outputs, and the rollback snapshot taken before the failure,
/// so the manager holds it for the rollback step.
public struct TaskFailure: Error, Sendable {
    public var status: TaskStatus
    public var error: TaskError
    public var outputs: [String: JSONValue]
    public var rollbackSnapshot: JSONValue?
    /// Creates a failure.
    public init(status: TaskStatus = .failed, error: TaskError, outputs: [String: JSONValue] = [:], rollbackSnapshot: JSONValue? = nil) {
        self.status = status
        self.error = error
        self.outputs = outputs
        self.rollbackSnapshot = rollbackSnapshot
    }
}

/// One task type the delegate can run. Failures are thrown as `TaskError` or `TaskFailure`.
public protocol TaskHandler: Sendable {
    /// The task type it serves, e.g. `delegate.echo`.
    var type: String { get }
    /// Runs the task; cancellation of the calling task means "stop now".
    func run(_ context: TaskContext) async throws -> TaskOutcome
}

/// `delegate.echo`: prints lines, optionally slowly, and ends with a chosen status.
///
/// Payload: `lines` (strings printed in order; `<+secrets.NAME>` is replaced by
/// the task's secret NAME, as a step would use it) or `count` (prints "line i
/// of N"), `delayMillis` between lines, `exitStatus` (non-zero fails the task), `unit`.
/// The runtime's test and benchmark workload, and a connectivity check.
public struct EchoHandler: TaskHandler {
    public let type = "delegate.echo"

    /// Creates the handler.
    public init() {}

    public func run(_ context: TaskContext) async throws -> TaskOutcome {
        let p = context.envelope.payload
        guard p.objectValue != nil else { throw TaskError(code: "invalid_payload", message: "delegate.echo: payload must be a JSON object") }
        var lines: [String]? = nil
        if let v = p["lines"], v != .null {
            guard let arr = v.arrayValue, arr.allSatisfy({ $0.stringValue != nil }) else {
                throw TaskError(code: "invalid_payload", message: "delegate.echo: payload member 'lines' must be a list of strings")
            }
            lines = arr.compactMap(\.stringValue)
        }
        let count = try intMember(p, "count", default: lines?.count ?? 10, range: 0...10_000_000)
        let delay = try intMember(p, "delayMillis", default: 0, range: 0...3_600_000)
        let exitStatus = try intMember(p, "exitStatus", default: 0, range: 0...255)
        let unit = p["unit"]?.stringValue ?? "Echo"
        for i in 0..<count {
            try Task.checkCancellation()
            if context.log.cancelRequested { throw CancellationError() }
            let text = lines.map { $0.isEmpty ? "" : $0[i % $0.count] } ?? "line \(i + 1) of \(count)"
            context.log.log(expandSecrets(text, context.envelope.secrets), unit: unit)
            await context.log.waitForRoom()
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        }
        if exitStatus != 0 {
            throw TaskError(code: "echo.exit_status", message: "echo finished with exit status \(exitStatus)")
        }
        return TaskOutcome(outputs: ["lines": .number(Double(count))])
    }

    private func intMember(_ p: JSONValue, _ name: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let v = p[name], v != .null else { return d }
        guard let n = v.intValue, range.contains(n) else {
            throw TaskError(code: "invalid_payload", message: "delegate.echo: payload member '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}

/// Replaces `<+secrets.NAME>` with the secret's value (the log masks it again before it is stored).
func expandSecrets(_ text: String, _ secrets: [String: String]) -> String {
    guard !secrets.isEmpty, UTF8Search.contains(text, "<+secrets.") else { return text }
    var out = text
    for (name, value) in secrets {
        out = out.replacingOccurrences(of: "<+secrets.\(name)>", with: value)
    }
    return out
}

extension TaskContext {
    /// A context for running a handler outside the agent (unit tests, tools): its lines stay in memory.
    ///
    /// Read them with `log.takeLines()`; nothing is spooled or shipped.
    public static func standalone(envelope: TaskEnvelope, logger: Logger = Logger(label: "ecs-delegate.standalone")) -> TaskContext {
        let gate = SpoolGate(capacity: 10_000_000, held: 0, metrics: DelegateMetrics(), logger: logger)
        let log = TaskLog(taskId: envelope.taskId, leaseId: envelope.leaseId, masker: SecretMasker(secrets: Array(envelope.secrets.values)), gate: gate)
        return TaskContext(envelope: envelope, log: log, logger: logger)
    }
}

extension TaskLog {
    /// Takes the lines written since the last call (for a standalone context; the agent's pump takes them otherwise).
    public func takeLines() -> [LogLine] { drain() }
}
