import Logging
import ManagerCore
import ServiceLifecycle

/// On graceful shutdown, logs it and ends every parked long poll and log follow, so the server can drain at once.
struct ShutdownWatcher: Service {
    let notifier: any WakeupBus
    let logger: Logger

    /// Waits for graceful shutdown, then shuts the notifier down.
    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is ending anyway
        }
        logger.info("shutting down: ending parked long polls and log follows")
        notifier.shutDown()
    }
}
