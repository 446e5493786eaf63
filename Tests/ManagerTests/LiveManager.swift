import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import ManagerClient
import ManagerCore
import ManagerHTTP
import ManagerPostgres
import ManagerSQLite
import TestSupport

/// An in-process manager on 127.0.0.1 (a free port) over a scratch SQLite file, or a scratch PostgreSQL database
/// when `ECS_MANAGER_TEST_STORAGE=postgres` (`TestStorage`), stopped by `stop()`.
final class LiveManager: Sendable {
    let store: any ManagerRepository & AccessRepository
    let url: String
    let token = "tok-live"
    let http = HTTPClient()
    /// The data directory (`manager.sqlite` and its WAL).
    let dir: String
    private let serving: Task<Void, any Error>

    private init(store: any ManagerRepository & AccessRepository, url: String, dir: String, serving: Task<Void, any Error>) {
        self.store = store
        self.url = url
        self.dir = dir
        self.serving = serving
    }

    /// Starts a manager with `settings` (sealing secrets with `secrets`, if given) on `dir` (a fresh one by default) and waits until it listens.
    static func start(_ settings: ManagerSettings = ManagerSettings(), secrets: SecretBox? = nil, dir: String? = nil, connections: Int = 4) async throws -> LiveManager {
        let dir = dir ?? NSTemporaryDirectory() + "mlive-\(UUID().uuidString.prefix(8))"
        let store = try await TestStorage.current.open(directory: dir, connections: connections)
        let repositories = store.repositories
        var logger = Logger(label: "live-manager")
        logger.logLevel = .critical
        // On PostgreSQL, wake-ups go through LISTEN/NOTIFY, as between replicas.
        let storage: ManagerStorage
        switch store {
        case .sqlite(let s): storage = .sqlite(s)
        case .postgres(let s): storage = .postgres(s, logger: logger)
        }
        let server = ManagerServer(storage: storage, token: "tok-live", settings: settings, secrets: secrets, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task {
            try await server.run(host: "127.0.0.1", port: 0, handlesSignals: false) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return LiveManager(store: repositories, url: "http://127.0.0.1:\(port)", dir: dir, serving: serving)
    }

    /// The PostgreSQL database the manager uses, or nil on SQLite.
    var postgresDatabase: String? { TestStorage.postgresDatabase(directory: dir) }

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

/// A store the tests opened, of either kind.
enum OpenedStore {
    case sqlite(ManagerStore)
    case postgres(PostgresStore)

    /// The store as the repositories it implements.
    var repositories: any ManagerRepository & AccessRepository {
        switch self {
        case .sqlite(let s): return s
        case .postgres(let s): return s
        }
    }
}

/// Which storage the in-process managers of these tests use: SQLite, or PostgreSQL when `ECS_MANAGER_TEST_STORAGE=postgres`.
///
/// `make test` runs the ManagerTests suites once with each, so the behaviour tests pass unchanged against both stores.
enum TestStorage: String {
    case sqlite, postgres

    /// The storage the environment asks for.
    static var current: TestStorage { ProcessInfo.processInfo.environment["ECS_MANAGER_TEST_STORAGE"] == "postgres" ? .postgres : .sqlite }

    /// Opens the store for data directory `directory`: SQLite in it, or the PostgreSQL database it names (made on first use),
    /// so a manager started again on the same directory finds its state.
    func open(directory: String, connections: Int = 4) async throws -> OpenedStore {
        switch self {
        case .sqlite:
            return .sqlite(try ManagerStore.open(directory: directory))
        case .postgres:
            let server = try PostgresServer.shared()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let name: String
            if let existing = Self.postgresDatabase(directory: directory) {
                name = existing
            } else {
                name = try server.createDatabase(prefix: "live")
                try name.write(toFile: directory + "/postgres-database", atomically: true, encoding: .utf8)
            }
            // One replica per data directory, the same across restarts on it.
            return .postgres(try await PostgresStore(url: try DatabaseURL(server.url(name)), password: server.password, connections: connections, replicaId: "live-" + name))
        }
    }

    /// The PostgreSQL database a data directory names, or nil.
    static func postgresDatabase(directory: String) -> String? {
        try? String(contentsOfFile: directory + "/postgres-database", encoding: .utf8)
    }
}
