import Foundation

/// Status: what the agent reports about itself (the status socket, tests) and the connection failures it records for that.
extension DelegateAgent {
    /// A snapshot of the agent for the status socket and tests.
    public func status() -> DelegateStatus {
        state.withLock { s in
            DelegateStatus(
                delegateId: s.registration?.delegateId, name: config.name, tags: config.tags, version: delegateVersion,
                uptimeSeconds: Date().timeIntervalSince(startedAt), managerURL: client.baseURL,
                connected: s.connected, lastError: s.lastError,
                secondsSinceHeartbeat: s.lastHeartbeatOK.map { Date().timeIntervalSince($0) },
                capacity: config.capacity, running: s.running.map { RunningTaskStatus(taskId: $0.key, type: $0.value.type, startedAt: $0.value.startedAt) }.sorted { $0.startedAt < $1.startedAt },
                draining: s.draining, spoolUnacknowledgedLines: gate.heldLines, spoolMaxLines: gate.capacity)
        }
    }

    /// The Prometheus exposition of the metrics, with the gauges read from the agent now.
    public func metricsText() -> String {
        metrics.render(status: status())
    }

    /// Records a failed call to the manager for the status (not connected, the masked error) and logs when it is retried.
    func noteFailure(_ what: String, error: Error, retryIn: Duration) {
        let text = masker.apply("\(error)")
        state.withLock {
            $0.connected = false
            $0.lastError = "\(what): \(text)"
        }
        logger.error("\(what); retrying", metadata: ["error": "\(text)", "retryInMs": "\(retryIn.components.seconds * 1000 + retryIn.components.attoseconds / 1_000_000_000_000_000)"])
    }
}

/// The delegate's state as `ecs-delegate status` shows it.
public struct DelegateStatus: Codable, Sendable, Equatable {
    public var delegateId: String?
    public var name: String
    public var tags: [String]
    public var version: String
    public var uptimeSeconds: Double
    public var managerURL: String
    public var connected: Bool
    public var lastError: String?
    public var secondsSinceHeartbeat: Double?
    public var capacity: Int
    public var running: [RunningTaskStatus]
    public var draining: Bool
    public var spoolUnacknowledgedLines: Int
    public var spoolMaxLines: Int
}

/// A task in flight.
public struct RunningTaskStatus: Codable, Sendable, Equatable {
    public var taskId: String
    public var type: String
    public var startedAt: Date
}
