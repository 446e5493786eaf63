import DelegateProtocol
import Foundation
import Prometheus
import Synchronization

/// The delegate's metrics, exposed as Prometheus text on the status socket's `/metrics` and on `metrics_listen`.
///
/// Counters (tasks by type and outcome, log lines, AWS attempts by service,
/// operation and outcome), a duration histogram per task type, and gauges read
/// from the agent at each scrape (connected, running, capacity, spool depth,
/// seconds since the last heartbeat, build info). Every label's values are bounded.
public final class DelegateMetrics: Sendable {
    /// The registry everything is recorded in.
    public let registry: PrometheusCollectorRegistry
    private let linesSpooled: Counter
    private let linesShipped: Counter
    private let linesDropped: Counter
    private let heartbeatFailures: Counter
    private let awsCalls: Counter
    private let awsRetries: Counter
    private let connected: Gauge
    private let running: Gauge
    private let capacity: Gauge
    private let draining: Gauge
    private let spoolLines: Gauge
    private let spoolMaxLines: Gauge
    private let sinceHeartbeat: Gauge
    private let uptime: Gauge
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
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "ecs_delegate", metricName: name, helpText: help), labels: [])
        }
        connected = gauge("connected", "1 while the last call to the manager succeeded, else 0.")
        running = gauge("running_tasks", "Tasks running now.")
        capacity = gauge("capacity_tasks", "Tasks the delegate runs at once at most (capacity).")
        draining = gauge("draining", "1 while the delegate drains (stopping, or told to by the manager).")
        spoolLines = gauge("spool_lines", "Log lines spooled and not yet acknowledged by the manager.")
        spoolMaxLines = gauge("spool_max_lines", "Spool capacity in lines (spool_max_lines).")
        sinceHeartbeat = gauge("seconds_since_heartbeat", "Seconds since the last heartbeat the manager acknowledged (NaN before the first).")
        uptime = gauge("uptime_seconds", "Seconds since the delegate started.")
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "ecs_delegate", metricName: "build_info", helpText: "The delegate's version, as a label; always 1."),
            labels: [("version", delegateVersion)]
        ).set(to: 1)
    }

    /// The most distinct values of one label (task types, outcomes); later ones are counted as `other`.
    public static let maxLabelValues = 64
    private let typeLabels = BoundedLabels(limit: maxLabelValues)
    private let outcomeLabels = BoundedLabels(limit: maxLabelValues)

    /// A task ended with `outcome` after `duration`.
    ///
    /// Each label set is a series the registry keeps for the life of the process, so
    /// the values are bounded by design: the first `maxLabelValues` types and outcomes
    /// seen keep their names, any later one is recorded as `other` (a manager can send
    /// any task type, and the delegate rejects, and counts, the ones it cannot run).
    public func taskFinished(type: String, outcome: String, duration: Duration) {
        let type = typeLabels.label(type)
        let outcome = outcomeLabels.label(outcome)
        registry.makeCounter(descriptor: Self.tasks, labels: [("type", type), ("outcome", outcome)]).increment()
        registry.makeDurationHistogram(
            descriptor: Self.durations, labels: [("type", type)],
            buckets: [.milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300), .seconds(900), .seconds(1800)]
        ).record(duration)
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

    /// One AWS attempt counter's labels and its count so far.
    public typealias AWSCallCount = (service: String, operation: String, outcome: String, count: Int)
    private let callSource = Mutex<(source: (@Sendable () -> [AWSCallCount])?, seen: [String: Int])>((nil, [:]))
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "ecs_delegate", metricName: "aws_requests", unitName: "total", helpText: "AWS API attempts, by service, operation and outcome (ok, the AWS error code, or a transport failure).")
    }

    /// Where AWS attempts by service, operation and outcome come from (bounded by the AWS clients' `RetryStats`); read at each render.
    public func setAWSCalls(_ source: @escaping @Sendable () -> [AWSCallCount]) {
        callSource.withLock { $0.source = source }
    }

    /// The Prometheus text exposition, with the gauges set from `status` (nil: left as they were).
    public func render(status: DelegateStatus? = nil) -> String {
        awsSource.withLock { s in
            guard let source = s.source else { return }
            let now = source()
            if now.attempts > s.seen.0 { awsCalls.increment(by: Int64(now.attempts - s.seen.0)) }
            if now.retries > s.seen.1 { awsRetries.increment(by: Int64(now.retries - s.seen.1)) }
            s.seen = (max(now.attempts, s.seen.0), max(now.retries, s.seen.1))
        }
        callSource.withLock { s in
            guard let source = s.source else { return }
            for call in source() {
                let key = "\(call.service)\u{0}\(call.operation)\u{0}\(call.outcome)"
                let before = s.seen[key] ?? 0
                guard call.count > before else { continue }
                registry.makeCounter(descriptor: Self.requests, labels: [("service", call.service), ("operation", call.operation), ("outcome", call.outcome)])
                    .increment(by: Int64(call.count - before))
                s.seen[key] = call.count
            }
        }
        if let status {
            connected.set(to: status.connected ? 1 : 0)
            running.set(to: Double(status.running.count))
            capacity.set(to: Double(status.capacity))
            draining.set(to: status.draining ? 1 : 0)
            spoolLines.set(to: Double(status.spoolUnacknowledgedLines))
            spoolMaxLines.set(to: Double(status.spoolMaxLines))
            sinceHeartbeat.set(to: status.secondsSinceHeartbeat ?? .nan)
            uptime.set(to: status.uptimeSeconds)
        }
        return registry.emitToString()
    }
}
