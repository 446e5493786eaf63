import Foundation
import HTTPClient
import ManagerCore

/// Posts notifications with the project's one HTTP client (libcurl): http and https only, no redirects followed, a small answer read.
struct CurlNotificationTransport: NotificationTransport {
    let client: HTTPClient

    /// A transport with its own client (the answer's body is not needed: at most 64 KiB is read).
    init() {
        var configuration = HTTPClientConfiguration()
        configuration.maxResponseBytes = 64 << 10
        configuration.maxConnections = 8
        configuration.userAgent = "ecs-manager/\(managerVersion)"
        client = HTTPClient(configuration: configuration)
    }

    func post(_ request: NotificationRequest, timeout: Duration) async throws -> Int {
        var r = HTTPClientRequest(method: "POST", url: request.url, headers: request.headers, body: request.body, timeout: timeout)
        r.maxResponseBytes = 64 << 10
        return try await client.send(r).status
    }
}
