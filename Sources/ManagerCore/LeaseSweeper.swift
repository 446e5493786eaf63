import Foundation
import Logging
import ServiceLifecycle

/// Expires leases every second and wakes pollers when tasks return to the queue.
package struct LeaseSweeper: Service {
    let repository: any DelegateRepository & TaskRepository
    let notifier: any WakeupBus
    let logger: Logger
    /// Forgets the inline secrets of tasks the sweep ended.
    let dispatcher: TaskDispatcher

    /// A sweeper over these parts.
    package init(repository: any DelegateRepository & TaskRepository, notifier: any WakeupBus, logger: Logger, dispatcher: TaskDispatcher) {
        self.repository = repository
        self.notifier = notifier
        self.logger = logger
        self.dispatcher = dispatcher
    }

    /// Sweeps once a second until shutdown.
    package func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let changed = try await repository.expireLeases()
                if !changed.isEmpty {
                    logger.warning("leases expired", metadata: ["tasks": "\(changed)"])
                    for id in changed where await (try? repository.task(id))?.isFinished == true { dispatcher.finished(id) }
                    notifier.notifyAllDelegates()
                    for id in changed { notifier.notify(key: Notifier.taskKey(id)) }
                    // A task that failed with its lease may be a step of an execution.
                    notifier.notify(key: ExecutionOrchestrator.wakeKey)
                }
            } catch {
                logger.error("lease sweep failed: \(error)")
            }
            // Graceful shutdown ends the pause at once, so the sweeper does not hold the exit.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    package static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
