import DelegateProtocol
import Digests
import Foundation
import ManagerAPI

/// One delivery attempt as it goes on the wire: the notifier's format rendered, the body signed with the notifier's secret.
package struct NotificationRequest: Sendable {
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: Data

    /// The request for `delivery` to `notifier`, signed with `secret` (nil: unsigned).
    ///
    /// Headers: `X-ECS-Event` (the event), `X-ECS-Delivery` (the delivery's id,
    /// the same on every retry) and, with a secret, `X-Signature-256:
    /// sha256=HEX`, the HMAC-SHA256 of the exact body under the secret's UTF-8 bytes.
    package init(delivery: ClaimedDelivery, notifier: NotifierSpec, secret: String?) throws {
        url = notifier.url
        switch notifier.format {
        case .json: body = try ProtocolV1.encoder().encode(delivery.message)
        case .slack: body = try JSONEncoder().encode(["text": delivery.message.text])
        }
        headers = [
            ("Content-Type", "application/json"),
            ("X-ECS-Event", delivery.message.event.rawValue),
            ("X-ECS-Delivery", String(delivery.id)),
        ]
        if let secret { headers.append(("X-Signature-256", Self.signature(body: body, secret: secret))) }
    }

    /// `sha256=` and the lowercase hex HMAC-SHA256 of `body` under `secret`: what a receiver recomputes and compares in constant time.
    package static func signature(body: Data, secret: String) -> String {
        let mac = HMACKeySchedule(key: Array(secret.utf8)).mac(Array(body))
        return "sha256=" + HexEncoding.lowercase(mac)
    }
}

/// Sends notification requests: curl in the manager, a recorder in unit tests.
package protocol NotificationTransport: Sendable {
    /// Posts `request` and answers the HTTP status; throws when no answer came within `timeout` (refused, timed out, TLS).
    func post(_ request: NotificationRequest, timeout: Duration) async throws -> Int
}
