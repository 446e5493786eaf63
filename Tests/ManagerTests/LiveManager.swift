import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import Manager
import ManagerClient

/// An in-process manager on 127.0.0.1 (a free port) over a scratch SQLite file, stopped by `stop()`.
final class LiveManager: Sendable {
    let store: ManagerStore
    let url: String
    let token = "tok-live"
    let http = HTTPClient()
    private let serving: Task<Void, any Error>

    private init(store: ManagerStore, url: String, serving: Task<Void, any Error>) {
        self.store = store
        self.url = url
        self.serving = serving
    }

    /// Starts a manager with `settings` and waits until it listens.
    static func start(_ settings: ManagerSettings = ManagerSettings()) async throws -> LiveManager {
        let dir = NSTemporaryDirectory() + "mlive-\(UUID().uuidString.prefix(8))"
        let store = try ManagerStore.open(directory: dir)
        var logger = Logger(label: "live-manager")
        logger.logLevel = .critical
        let server = ManagerServer(store: store, token: "tok-live", settings: settings, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task {
            try await server.run(host: "127.0.0.1", port: 0, handlesSignals: false) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return LiveManager(store: store, url: "http://127.0.0.1:\(port)", serving: serving)
    }

    /// A typed client with the right token.
    var client: ManagerClient { ManagerClient(baseURL: url, token: token, http: http) }

    /// Sends `body` as-is to `path` with the token; returns the status and the decoded error, if any.
    func post(_ path: String, raw body: String, headers: [(name: String, value: String)] = []) async throws -> (status: Int, error: TaskError?) {
        let request = HTTPClientRequest(
            method: "POST", url: url + path,
            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")] + headers, body: Data(body.utf8))
        let response = try await http.send(request)
        return (response.status, try? ProtocolV1.decoder().decode(ErrorBody.self, from: response.body).error)
    }

    /// Registers a delegate running `delegate.echo` with `tags`; returns its id.
    func register(instance: String = UUID().uuidString, tags: [String] = [], held: [String]? = nil) async throws -> String {
        try await client.register(RegisterRequest(
            name: "d", hostname: "h", version: "1", tags: tags, capacity: 2, taskTypes: ["delegate.echo"], instanceId: instance, heldTaskIds: held)).delegateId
    }

    /// Stops serving.
    func stop() async {
        serving.cancel()
        _ = await serving.result
    }
}
