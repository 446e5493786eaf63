/// The body a notifier's deliveries carry.
public enum NotificationFormat: String, Codable, Sendable, CaseIterable {
    /// A `NotificationMessage` as JSON.
    case json
    /// A Slack incoming-webhook body: `{"text": ...}`.
    case slack
}
