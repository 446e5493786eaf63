import DelegateProtocol
import Foundation
import JSONValues
import ManagerCore
import Pipelines
import Prometheus
import Synchronization

/// The manager's metrics, as Prometheus text on `GET /metrics` (any valid key) and on `serve --metrics-listen` (no key).
///
/// Counted as they happen: HTTP requests by route, method and status, request
/// durations by route, executions started by strategy and finished by strategy
/// and phase, storage errors, how long tasks waited for a lease (by type) and
/// how long after a step's task ended the next one was submitted (by type).
/// Read from the storage at each scrape: tasks by
/// type and state, the queue's depth, delegates by state. Label values are
/// bounded: routes are the API's patterns (`unmatched` for any other path),
/// and at most `maxLabelValues` task types count by name.
public final class ManagerMetrics: ExecutionObserver, Sendable {
    /// The registry everything is recorded in.
    let registry = PrometheusCollectorRegistry()
    private let storageErrors: Counter
    /// The most task types counted by name; later ones are `other`.
    public static let maxLabelValues = 64
    private let typeLabels = BoundedLabels(limit: maxLabelValues)
    /// Gauge label sets set at the last scrape, reset to 0 when they vanish.
    private let lastGauges = Mutex<Set<[String]>>([])

    /// The metrics, at zero.
    public init(version: String) {
        ready = registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "ecs_manager", metricName: "ready", helpText: "1 while the storage answers and is migrated (as /readyz), else 0."))
        storageErrors = registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "ecs_manager", metricName: "storage_errors", unitName: "total", helpText: "Requests that failed on the storage (answered 500)."))
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "ecs_manager", metricName: "build_info", helpText: "The manager's version, as a label; always 1."),
            labels: [("version", version)]
        ).set(to: 1)
    }

    private static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "http_requests", unitName: "total", helpText: "HTTP requests, by route, method and status.") }
    private static var durations: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request durations (long polls included), by route.") }
    private static var started: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "executions_started", unitName: "total", helpText: "Executions started, by strategy.") }
    private static var finished: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "executions_finished", unitName: "total", helpText: "Executions finished, by strategy and phase.") }
    private static var tasks: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "tasks", helpText: "Tasks stored, by type and state.") }
    private static var queue: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "queue_depth", helpText: "Tasks queued and not yet leased.") }
    private static var delegates: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "delegates", helpText: "Registered delegates, by state (connected, draining, disconnected).") }
    private static var leaseWait: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "lease_wait", unitName: "seconds", helpText: "From a task's submission to its lease by a delegate, by task type.") }
    private static var dispatch: MetricNameDescriptor { MetricNameDescriptor(namespace: "ecs_manager", metricName: "step_dispatch_delay", unitName: "seconds", helpText: "From a step's task ending to the next step's submission, by the next task's type.") }
    /// Lease waits and dispatch delays: from a long poll answered at once to a task queued for minutes.
    private static let waitBuckets: [Duration] = [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10), .seconds(60), .seconds(300)]
    private static let buckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10), .seconds(30)]

    /// A request to `route` (the API's pattern, or `unmatched`) answered `status` after `duration`.
    func request(route: String, method: String, status: Int, duration: Duration) {
        let method = ["GET", "POST", "PUT", "DELETE"].contains(method) ? method : "other"
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.durations, labels: [("route", route)], buckets: Self.buckets).record(duration)
        if status == 500 { storageErrors.increment() }
    }

    /// A task of `type` was leased `waited` seconds after its submission.
    func leased(type: String, waited: TimeInterval) {
        registry.makeDurationHistogram(descriptor: Self.leaseWait, labels: [("type", typeLabels.label(type))], buckets: Self.waitBuckets).record(.seconds(clamping: waited, to: 0...86_400))
    }

    /// A step's task of `type` was submitted `waited` seconds after the task before it ended.
    public func stepSubmitted(id: String, type: String, waited: TimeInterval) async {
        registry.makeDurationHistogram(descriptor: Self.dispatch, labels: [("type", typeLabels.label(type))], buckets: Self.waitBuckets).record(.seconds(clamping: waited, to: 0...86_400))
    }

    /// An execution of `plan` started.
    func executionStarted(_ plan: PipelinePlan) {
        registry.makeCounter(descriptor: Self.started, labels: [("strategy", Self.strategy(of: plan))]).increment()
    }

    /// An execution ended in `phase`.
    public func executionFinished(id: String, engine: ExecutionEngine, phase: ExecutionEngine.Phase) {
        registry.makeCounter(descriptor: Self.finished, labels: [("strategy", Self.strategy(of: engine.plan)), ("phase", phase.rawValue)]).increment()
    }

    /// The strategy a plan deploys with, read from its steps' task types: `blueGreen`, `canary`, `rolling`, `runTask`, `scale` or `other`.
    static func strategy(of plan: PipelinePlan) -> String {
        let types = plan.steps.map(\.type.rawValue)
        for (prefix, name) in [("ecs.bluegreen.", "blueGreen"), ("ecs.canary.", "canary"), ("ecs.rolling.", "rolling"), ("ecs.runTask", "runTask"), ("ecs.service.scale", "scale")]
        where types.contains(where: { $0.hasPrefix(prefix) }) {
            return name
        }
        return "other"
    }

    private let ready: Gauge

    /// The Prometheus text; with `tasks` and `delegates` (read from a ready storage), their gauges set now.
    func render(ready isReady: Bool, tasks counts: [TaskCount]? = nil, delegates states: [String]? = nil) -> String {
        ready.set(to: isReady ? 1 : 0)
        guard let counts, let states else { return registry.emitToString() }
        var gauges: [[String]: Double] = [:]
        var queued = 0
        for c in counts {
            let type = typeLabels.label(c.type)
            gauges[["tasks", type, c.state], default: 0] += Double(c.count)
            if c.state == "queued" { queued += c.count }
        }
        for state in ["connected", "draining", "disconnected"] { gauges[["delegates", state]] = 0 }
        for state in states where ["connected", "draining", "disconnected"].contains(state) { gauges[["delegates", state], default: 0] += 1 }
        gauges[["queue"]] = Double(queued)
        // A pair that had tasks and has none now shows 0, not its last count.
        let vanished = lastGauges.withLock { last -> Set<[String]> in
            defer { last = Set(gauges.keys) }
            return last.subtracting(gauges.keys)
        }
        for key in vanished { gauges[key] = 0 }
        for (key, value) in gauges {
            switch key.first {
            case "tasks": registry.makeGauge(descriptor: Self.tasks, labels: [("type", key[1]), ("state", key[2])]).set(to: value)
            case "delegates": registry.makeGauge(descriptor: Self.delegates, labels: [("state", key[1])]).set(to: value)
            default: registry.makeGauge(descriptor: Self.queue).set(to: value)
            }
        }
        return registry.emitToString()
    }
}
