import Foundation

/// A notifier stored in the manager: where to post which execution events, in which format, signed with which secret.
///
/// `ecs-manager notifier apply FILE` reads it (YAML or JSON) and `PUT /v1/notifiers/{name}` stores it.
/// The secret is named, never held: deliveries are signed with the stored
/// secret's value (`X-Signature-256: sha256=HMAC-SHA256(secret, body)`).
public struct NotifierSpec: Codable, Sendable, Equatable {
    /// The notifier's name (the `ResourceName` rule).
    public var name: String
    /// Where deliveries are posted: an http or https URL.
    public var url: String
    /// The events it is told about, at least one.
    public var events: [NotificationEvent]
    /// The body's format (default `json`).
    public var format: NotificationFormat
    /// The stored secret whose value signs each delivery (nil: unsigned).
    public var secretName: String?

    /// A notifier with these members.
    public init(name: String, url: String, events: [NotificationEvent], format: NotificationFormat = .json, secretName: String? = nil) {
        self.name = name
        self.url = url
        self.events = events
        self.format = format
        self.secretName = secretName
    }
}
