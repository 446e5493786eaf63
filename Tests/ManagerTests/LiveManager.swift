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
    /// The data directory (`manager.sqlite` and its WAL).
    let dir: String
    private let serving: Task<Void, any Error>

    private init(store: ManagerStore, url: String, dir: String, serving: Task<Void, any Error>) {
        self.store = store
        self.url = url
        self.dir = dir
        self.serving = serving
    }

    /// Starts a manager with `settings` (sealing secrets with `secrets`, if given) on `dir` (a fresh one by default) and waits until it listens.
    static func start(_ settings: ManagerSettings = ManagerSettings(), secrets: SecretBox? = nil, dir: String? = nil) async throws -> LiveManager {
        let dir = dir ?? NSTemporaryDirectory() + "mlive-\(UUID().uuidString.prefix(8))"
        let store = try ManagerStore.open(directory: dir)
        var logger = Logger(label: "live-manager")
        logger.logLevel = .critical
        let server = ManagerServer(store: store, token: "tok-live", settings: settings, secrets: secrets, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task {
            try await server.run(host: "127.0.0.1", port: 0, handlesSignals: false) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return LiveManager(store: store, url: "http://127.0.0.1:\(port)", dir: dir, serving: serving)
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

    /// Registers a delegate running `types` with `tags`; returns its id.
    func register(instance: String = UUID().uuidString, name: String = "d", tags: [String] = [], types: [String] = ["delegate.echo"], held: [String]? = nil) async throws -> String {
        try await client.register(RegisterRequest(
            name: name, hostname: "h", version: "1", tags: tags, capacity: 2, taskTypes: types, instanceId: instance, heldTaskIds: held)).delegateId
    }

    /// Sends `body` as-is with `method` to `path`; returns the status and the raw answer.
    func send(_ method: String, _ path: String, _ body: String? = nil) async throws -> (status: Int, body: String) {
        let request = HTTPClientRequest(
            method: method, url: url + path,
            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: body.map { Data($0.utf8) } ?? Data())
        let response = try await http.send(request)
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// Stops serving.
    func stop() async {
        serving.cancel()
        _ = await serving.result
    }
}
