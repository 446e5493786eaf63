import Foundation
import ManagerAPI
import Pipelines

/// The observer that queues notifications: each execution event becomes one outbox row per subscribed notifier, keyed so a repeat is dropped.
///
/// The orchestrator calls it before it saves the change, so an event is
/// queued at least once; the key (`started`, `waiting:RUN`, `end:PHASE`) makes
/// the outbox hold it exactly once per notifier.
package struct NotificationOutbox: ExecutionObserver {
    let repository: any NotificationRepository
    /// Wakes the deliverer (in every replica on PostgreSQL).
    let wakeups: any WakeupBus
    /// The manager's URL as people reach it (`serve --external-url`): for the console link and the approve command.
    let externalURL: String

    /// An outbox in `repository`, linking to the manager at `externalURL`.
    package init(repository: any NotificationRepository, wakeups: any WakeupBus, externalURL: String) {
        self.repository = repository
        self.wakeups = wakeups
        self.externalURL = externalURL
    }

    package func executionStarted(id: String, engine: ExecutionEngine) async throws {
        try await queue(NotificationText.started(id: id, engine: engine, externalURL: externalURL, now: Date()), key: "started")
    }

    package func executionWaiting(id: String, engine: ExecutionEngine) async throws {
        try await queue(NotificationText.waiting(id: id, engine: engine, externalURL: externalURL, now: Date()), key: "waiting:\(engine.runs.count - 1)")
    }

    package func executionFinished(id: String, engine: ExecutionEngine, phase: ExecutionEngine.Phase) async throws {
        try await queue(NotificationText.finished(id: id, engine: engine, phase: phase, externalURL: externalURL, now: Date()), key: "end:\(phase.rawValue)")
    }

    /// Queues `message` under `key` (scoped to its execution) and wakes the deliverer.
    private func queue(_ message: NotificationMessage, key: String) async throws {
        try await repository.enqueueNotification(message, key: "\(message.executionId):\(key)", now: message.time)
        wakeups.notify(key: NotificationDeliverer.wakeKey)
    }
}
