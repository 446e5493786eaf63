import Foundation

/// One notification to one notifier, as `ecs-manager notifier deliveries` lists it: what, to whom, and how its attempts went.
public struct NotificationDelivery: Codable, Sendable, Equatable {
    /// Where a delivery stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Not delivered yet: due at `nextAttemptAt`.
        case pending
        /// The notifier answered 2xx.
        case delivered
        /// Given up: every attempt failed, or the notifier was deleted.
        case failed
    }

    /// The delivery's id, sent as `X-ECS-Delivery` with every attempt (the same on each retry, for receivers that deduplicate).
    public var id: Int64
    public var notifier: String
    public var event: NotificationEvent
    public var executionId: String
    public var state: State
    /// Attempts made so far.
    public var attempts: Int
    /// The HTTP status of the last attempt, if one answered.
    public var lastStatus: Int?
    /// Why the last attempt failed.
    public var lastError: String?
    public var createdAt: Date
    /// When a pending delivery is tried next.
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?

    /// A delivery with these members.
    public init(
        id: Int64, notifier: String, event: NotificationEvent, executionId: String, state: State, attempts: Int, lastStatus: Int? = nil, lastError: String? = nil,
        createdAt: Date, nextAttemptAt: Date? = nil, deliveredAt: Date? = nil
    ) {
        self.id = id
        self.notifier = notifier
        self.event = event
        self.executionId = executionId
        self.state = state
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
    }
}
