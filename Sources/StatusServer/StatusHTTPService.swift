import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The status socket's HTTP/1 server: the router's responder on HummingbirdCore's server, as a `Service`.
///
/// It is what Hummingbird's `Application` runs, without the per-second date cache
/// that service keeps: that cache formats through `Calendar`, which maps in ICU,
/// and a delegate at idle held about 4 MiB more for it. The `Date` header comes
/// from `HTTPDate` at answer time instead.
struct StatusHTTPService<Responder: HTTPResponder>: Service where Responder.Context == StatusContext {
    let responder: Responder
    let path: String
    let serverName: String
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onServerRunning: @Sendable (any Channel) async -> Void

    func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let serverName = self.serverName
        let server = try HTTPServerBuilder.http1().buildServer(
            configuration: .init(address: .unixDomainSocket(path: path), serverName: serverName),
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            responder: { request, responseWriter, channel in
                let context = StatusContext(source: .init(channel: channel, logger: logger))
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch {
                    // The router turns HTTP errors into answers; anything else is ours.
                    logger.debug("status request failed", metadata: ["error": "\(error)"])
                    response = Response(status: .internalServerError, body: .init())
                }
                if let date = HTTPDate.now() {
                    response.headers[.date] = date
                }
                response.headers[.server] = serverName
                try await responseWriter.write(response: response.head, body: response.body)
            },
            onServerRunning: onServerRunning)
        try await server.run()
    }
}
