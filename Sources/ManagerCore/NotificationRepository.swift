import Foundation
import ManagerAPI

/// Where notifiers and the notification outbox live: deliveries are queued in the store, so none is lost to a restart.
///
/// The outbox is the durable half of at-least-once delivery: a message is
/// queued (once per notifier and key) before the execution change it reports
/// is saved, claimed for a lease before it is sent, and marked after.
/// A manager that dies while sending leaves the claim to expire and the
/// delivery to be sent again. Both stores pass `NotificationRepositoryContract`.
public protocol NotificationRepository: Sendable {
    /// Stores `notifier` under its name; true when it is new, false when it replaced one.
    func putNotifier(_ notifier: NotifierSpec, now: Date) async throws -> Bool
    /// Every notifier, by name.
    func notifiers() async throws -> [NotifierSpec]
    /// One notifier, or nil.
    func notifier(_ name: String) async throws -> NotifierSpec?
    /// Deletes a notifier and gives up its pending deliveries; false when there was none.
    func deleteNotifier(_ name: String, now: Date) async throws -> Bool
    /// Queues `message` for every notifier subscribed to its event; a `key` queued before for a notifier is not queued again.
    func enqueueNotification(_ message: NotificationMessage, key: String, now: Date) async throws
    /// Claims up to `limit` pending deliveries due by `now`: each counts an attempt and is not due again until `now + lease`.
    ///
    /// Replicas sharing a database never claim the same delivery at once.
    func claimDeliveries(now: Date, lease: TimeInterval, limit: Int) async throws -> [ClaimedDelivery]
    /// Records that delivery `id` was answered 2xx with `status`.
    func deliverySucceeded(id: Int64, status: Int, now: Date) async throws
    /// Records a failed attempt: due again at `retryAt`, or given up when it is nil.
    func deliveryFailed(id: Int64, status: Int?, error: String, retryAt: Date?, now: Date) async throws
    /// The newest deliveries, at most `limit`.
    func deliveries(limit: Int) async throws -> [NotificationDelivery]
    /// Deletes delivered and given-up deliveries created before `date`; answers how many.
    @discardableResult
    func pruneDeliveries(before date: Date) async throws -> Int
}

/// A delivery claimed for sending: the message, its notifier's name and the attempt it is.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: Int64
    public var notifier: String
    public var message: NotificationMessage
    /// Which attempt this is, from 1.
    public var attempt: Int

    /// A claimed delivery with these members.
    public init(id: Int64, notifier: String, message: NotificationMessage, attempt: Int) {
        self.id = id
        self.notifier = notifier
        self.message = message
        self.attempt = attempt
    }
}

extension NotificationRepository {
    /// The text stored for a notifier's events, matched with `LIKE '%,event,%'`: `,started,waiting,`.
    public static func eventsColumn(_ events: [NotificationEvent]) -> String { "," + events.map(\.rawValue).joined(separator: ",") + "," }

    /// The `LIKE` pattern that matches notifiers subscribed to `event`.
    public static func eventPattern(_ event: NotificationEvent) -> String { "%,\(event.rawValue),%" }
}
