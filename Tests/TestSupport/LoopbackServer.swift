import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A real Hummingbird server on loopback (or a Unix socket) for the client to talk to.
public struct LoopbackServer: Sendable {
    /// `http://127.0.0.1:PORT` (for a Unix socket, the port is 0).
    public let baseURL: String
    let task: Task<Void, Error>

    /// Starts a server whose routes `configure` adds; returns once it listens.
    public static func start(unixSocket: String? = nil, _ configure: @Sendable (Router<BasicRequestContext>) -> Void) async throws -> LoopbackServer {
        let router = Router()
        configure(router)
        let (stream, cont) = AsyncStream.makeStream(of: Int.self)
        let address: BindAddress = unixSocket.map { .unixDomainSocket(path: $0) } ?? .hostname("127.0.0.1", port: 0)
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: address), onServerRunning: { ch in
            cont.yield(ch.localAddress?.port ?? 0)
            cont.finish()
        }, logger: logger)
        let task = Task {
            try await ServiceGroup(services: [app], logger: logger).run()
        }
        var port = 0
        for await p in stream { port = p }
        return LoopbackServer(baseURL: "http://127.0.0.1:\(port)", task: task)
    }

    /// Stops the server.
    public func stop() { task.cancel() }
}

