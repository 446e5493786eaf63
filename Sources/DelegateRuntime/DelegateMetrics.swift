import Foundation
import Prometheus
import Synchronization

/// The delegate's metrics, exposed as Prometheus text on the status socket's `/metrics`.
public final class DelegateMetrics: Sendable {
    /// The registry everything is recorded in.
    public let registry: PrometheusCollectorRegistry
    private let linesSpooled: Counter
    private let linesShipped: Counter
    private let linesDropped: Counter
    private let heartbeatFailures: Counter
    private let awsCalls: Counter
    private let awsRetries: Counter
    private static var tasks: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "ecs_delegate", metricName: "tasks", unitName: "total", helpText: "Tasks run, by type and outcome.")
    }
    private static var durations: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "ecs_delegate", metricName: "task_duration", unitName: "seconds", helpText: "Task durations, by type.")
    }

    /// Creates the metrics, all at zero.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "ecs_delegate", metricName: name, unitName: "total", helpText: help), labels: [])
        }
        linesSpooled = counter("log_lines_spooled", "Log lines written to the SQLite spool.")
        linesShipped = counter("log_lines_shipped", "Log lines acknowledged by the manager.")
        linesDropped = counter("log_lines_dropped", "Log lines dropped because the spool was full.")
        heartbeatFailures = counter("heartbeat_failures", "Heartbeats that failed.")
        awsCalls = counter("aws_calls", "AWS API calls made (each attempt).")
        awsRetries = counter("aws_retries", "AWS API calls retried.")
    }

    /// The most distinct values of one label (task types, outcomes); later ones are counted as `other`.
    public static let maxLabelValues = 64
    private let typeLabels = Mutex<Set<String>>([])
    private let outcomeLabels = Mutex<Set<String>>([])

    /// A task ended with `outcome` after `duration`.
    ///
    /// Each label set is a series the registry keeps for the life of the process, so
    /// the values are bounded by design: the first `maxLabelValues` types and outcomes
    /// seen keep their names, any later one is recorded as `other` (a manager can send
    /// any task type, and the delegate rejects, and counts, the ones it cannot run).
    public func taskFinished(type: String, outcome: String, duration: Duration) {
        let type = Self.bounded(type, in: typeLabels)
        let outcome = Self.bounded(outcome, in: outcomeLabels)
        registry.makeCounter(descriptor: Self.tasks, labels: [("type", type), ("outcome", outcome)]).increment()
        registry.makeDurationHistogram(
            descriptor: Self.durations, labels: [("type", type)],
            buckets: [.milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300), .seconds(900), .seconds(1800)]
        ).record(duration)
    }

    /// `value`, or `other` once `seen` holds `maxLabelValues` other values.
    private static func bounded(_ value: String, in seen: borrowing Mutex<Set<String>>) -> String {
        seen.withLock { s in
            if s.contains(value) { return value }
            guard s.count < maxLabelValues else { return "other" }
            s.insert(value)
            return value
        }
    }

    /// Lines written to the spool.
    public func spooled(_ n: Int) { linesSpooled.increment(by: Int64(n)) }
    /// Lines the manager acknowledged.
    public func shipped(_ n: Int) { linesShipped.increment(by: Int64(n)) }
    /// Lines dropped at the spool cap.
    public func dropped(_ n: Int) { linesDropped.increment(by: Int64(n)) }
    /// A failed heartbeat.
    public func heartbeatFailed() { heartbeatFailures.increment() }
    private let awsSource = Mutex<(source: (@Sendable () -> (attempts: Int, retries: Int))?, seen: (Int, Int))>((nil, (0, 0)))

    /// Where AWS attempt and retry counts come from (the AWS clients' shared counters); read at each render.
    public func setAWSCounts(_ source: @escaping @Sendable () -> (attempts: Int, retries: Int)) {
        awsSource.withLock { $0.source = source }
    }

    /// The Prometheus text exposition.
    public func render() -> String {
        awsSource.withLock { s in
            guard let source = s.source else { return }
            let now = source()
            if now.attempts > s.seen.0 { awsCalls.increment(by: Int64(now.attempts - s.seen.0)) }
            if now.retries > s.seen.1 { awsRetries.increment(by: Int64(now.retries - s.seen.1)) }
            s.seen = (max(now.attempts, s.seen.0), max(now.retries, s.seen.1))
        }
        return registry.emitToString()
    }
}
