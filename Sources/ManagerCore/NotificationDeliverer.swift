import Foundation
import Logging
import ManagerAPI
import ServiceLifecycle
import Timing

/// Sends the outbox's deliveries: claims what is due, posts it, records the answer; a failure is tried again on the one backoff curve.
///
/// A service of the manager beside the orchestrator. It wakes when a
/// notification is queued (in any replica) and otherwise looks every
/// `idleSweep`. A claim is a lease: a manager that dies mid-send leaves the
/// delivery due again when the lease ends, so delivery is at least once;
/// receivers deduplicate by `X-ECS-Delivery`.
package struct NotificationDeliverer: Service {
    /// The wake-up key of the deliverer.
    package static let wakeKey = "notifications"

    /// How the deliverer retries and paces itself.
    package struct Policy: Sendable {
        /// Attempts in all before a delivery is given up.
        package var maxAttempts = 12
        /// The retry curve: 2 s, 4 s, ... at most 10 minutes (full jitter), about 40 minutes in all.
        package var backoff = Backoff(base: .seconds(2), cap: .seconds(600))
        /// How long a claim lasts: longer than a request may take.
        package var lease: TimeInterval = 60
        /// How long one post may take.
        package var timeout: Duration = .seconds(10)
        /// Deliveries sent at once.
        package var batch = 16
        /// How often the outbox is looked at without a wake-up.
        package var idleSweep: Duration = .seconds(1)
        /// Delivered and given-up deliveries older than this are deleted.
        package var keep: TimeInterval = 7 * 86_400
        /// The random jitter in [0, 1] (injectable for tests).
        package var jitter: @Sendable () -> Double = { Double.random(in: 0...1) }

        /// The defaults.
        package init() {}
    }

    let repository: any NotificationRepository
    let transport: any NotificationTransport
    /// Where signing secrets are read (nil: a notifier with a secret cannot be delivered until the manager has `--secrets-key-file`).
    let vault: SecretVault?
    let wakeups: any WakeupBus
    let logger: Logger
    let policy: Policy

    /// A deliverer over these parts.
    package init(repository: any NotificationRepository, transport: any NotificationTransport, vault: SecretVault?, wakeups: any WakeupBus, logger: Logger, policy: Policy = Policy()) {
        self.repository = repository
        self.transport = transport
        self.vault = vault
        self.wakeups = wakeups
        self.logger = logger
        self.policy = policy
    }

    package func run() async throws {
        var lastPrune = Date.distantPast
        while !Task.isCancelledOrShuttingDown {
            let ticket = wakeups.arm(key: Self.wakeKey)
            let sent = await deliverDue()
            if Date().timeIntervalSince(lastPrune) > 3600 {
                lastPrune = Date()
                _ = try? await repository.pruneDeliveries(before: Date().addingTimeInterval(-policy.keep))
            }
            // A full batch means more may be due: no wait.
            if sent < policy.batch { _ = await ticket.wait(timeout: policy.idleSweep) }
            ticket.cancel()
        }
    }

    /// Claims the deliveries due now and sends them together; answers how many were claimed.
    @discardableResult
    package func deliverDue(now: Date = Date()) async -> Int {
        let claimed: [ClaimedDelivery]
        do {
            claimed = try await repository.claimDeliveries(now: now, lease: policy.lease, limit: policy.batch)
        } catch {
            logger.error("cannot read the notification outbox", metadata: ["error": "\(error)"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for delivery in claimed { group.addTask { await deliver(delivery) } }
        }
        return claimed.count
    }

    /// Sends one claimed delivery and records how it went.
    func deliver(_ delivery: ClaimedDelivery) async {
        let outcome: (status: Int?, error: String?)
        do {
            outcome = try await attempt(delivery)
        } catch let e as Permanent {
            await record(delivery, status: nil, error: e.message, retry: false)
            return
        } catch let e as SecretVault.Unavailable {
            outcome = (nil, e.message)
        } catch {
            outcome = (nil, "\(error)")
        }
        if let status = outcome.status, outcome.error == nil {
            do {
                try await repository.deliverySucceeded(id: delivery.id, status: status, now: Date())
                logger.info("notification delivered", metadata: ["notifier": "\(delivery.notifier)", "event": "\(delivery.message.event.rawValue)", "execution": "\(delivery.message.executionId)", "status": "\(status)"])
            } catch {
                logger.error("cannot record a delivered notification (it may be sent again)", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
            }
            return
        }
        await record(delivery, status: outcome.status, error: outcome.error ?? "failed", retry: true)
    }

    /// A reason no retry can mend (the notifier is gone).
    struct Permanent: Error {
        let message: String
    }

    /// Posts the delivery: the status, with an error unless it is 2xx.
    private func attempt(_ delivery: ClaimedDelivery) async throws -> (status: Int?, error: String?) {
        guard let notifier = try await repository.notifier(delivery.notifier) else { throw Permanent(message: "the notifier was deleted") }
        var secret: String?
        if let name = notifier.secretName {
            guard let vault else { return (nil, "notifier \(notifier.name) signs with secret \(name), but this manager runs without --secrets-key-file") }
            secret = try await vault.value(name)
        }
        let request = try NotificationRequest(delivery: delivery, notifier: notifier, secret: secret)
        let status = try await transport.post(request, timeout: policy.timeout)
        return (200..<300).contains(status) ? (status, nil) : (status, "the notifier answered HTTP \(status)")
    }

    /// Records a failed attempt: due again after the backoff, or given up after `maxAttempts` (or at once when `retry` is false).
    private func record(_ delivery: ClaimedDelivery, status: Int?, error: String, retry: Bool) async {
        let retryAt: Date? = retry && delivery.attempt < policy.maxAttempts
            ? Date().addingTimeInterval(policy.backoff.delay(attempt: delivery.attempt - 1, jitter: policy.jitter()).seconds)
            : nil
        logger.warning(retryAt == nil ? "notification given up" : "notification failed; will retry", metadata: [
            "notifier": "\(delivery.notifier)", "event": "\(delivery.message.event.rawValue)", "execution": "\(delivery.message.executionId)",
            "attempt": "\(delivery.attempt)", "error": "\(error)",
        ])
        do {
            try await repository.deliveryFailed(id: delivery.id, status: status, error: error, retryAt: retryAt, now: Date())
        } catch {
            logger.error("cannot record a failed notification (its claim expires and it is sent again)", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }
}
