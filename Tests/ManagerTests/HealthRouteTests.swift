import DelegateProtocol
import Foundation
import HTTPClient
import Logging
import ManagerCore
import ManagerHTTP
import ManagerPostgres
import ManagerSQLite
import Testing
import TestSupport

/// `/healthz` and `/readyz` answer probes without a token and say nothing but the verdict.
@Suite struct HealthRouteTests {
    /// GETs `url` with no Authorization header; the status and body.
    func probe(_ http: HTTPClient, _ url: String) async throws -> (status: Int, body: String) {
        let answer = try await http.send(HTTPClientRequest(method: "GET", url: url, timeout: .seconds(30)))
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    /// Serves `storage` on a free loopback port until the returned task is cancelled.
    func serve(_ storage: ManagerStorage) async throws -> (url: String, serving: Task<Void, any Error>) {
        var logger = Logger(label: "health")
        logger.logLevel = .critical
        let server = ManagerServer(storage: storage, token: "tok", logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run(host: "127.0.0.1", port: 0, handlesSignals: false) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return ("http://127.0.0.1:\(port)", serving)
    }

    @Test func probesNeedNoTokenAndTheAPIStillDoes() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let health = try await probe(m.http, m.url + "/healthz")
        #expect(health.status == 200 && health.body == #"{"status":"ok"}"#, "\(health)")
        let ready = try await probe(m.http, m.url + "/readyz")
        #expect(ready.status == 200 && ready.body == #"{"status":"ready"}"#, "\(ready)")
        #expect(try await probe(m.http, m.url + "/v1/health").status == 401)
        #expect(try await probe(m.http, m.url + "/v1/delegates").status == 401)
    }

    /// A store that is not ready, or does not answer at all: 503, and the reason stays in the manager's log.
    struct Unready: StorageReadiness {
        var hang = false
        func unreadiness() async -> String? {
            if hang { try? await Task.sleep(for: .seconds(60)) }
            return "secret-looking reason: password=hunter2"
        }
    }

    @Test(arguments: [false, true]) func anUnreadyOrSilentStoreAnswers503AndNothingElse(hang: Bool) async throws {
        let dir = NSTemporaryDirectory() + "health-\(UUID().uuidString.prefix(8))"
        let store = try ManagerStore.open(directory: dir)
        let (url, serving) = try await serve(ManagerStorage(repository: store, access: store, executions: store, notifications: store, wakeups: Notifier(), readiness: Unready(hang: hang)))
        defer { serving.cancel() }
        let http = HTTPClient()
        defer { http.shutdown() }
        let started = ContinuousClock.now
        let ready = try await probe(http, url + "/readyz")
        #expect(ready.status == 503 && ready.body == #"{"status":"unready"}"#, "\(ready)")
        // A store that hangs is cut off at the limit (2 s), not left to hold the probe.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(try await probe(http, url + "/healthz").status == 200, "the process is up even when its storage is not")
    }

    /// PostgreSQL stopped: /readyz says 503 while it is down, 200 once it is back.
    @Test func readinessFollowsPostgreSQL() async throws {
        guard TestStorage.current == .postgres else { return }
        let server = try await onOwnThread { try PostgresServer() }
        defer { server.remove() }
        let name = try await onOwnThread { try server.createDatabase(prefix: "ready") }
        let store = try await PostgresStore(url: try DatabaseURL(server.url(name)), password: server.password, connections: 2)
        defer { store.close() }
        let (url, serving) = try await serve(.postgres(store, logger: Logger(label: "health-pg")))
        defer { serving.cancel() }
        let http = HTTPClient()
        defer { http.shutdown() }
        #expect(try await probe(http, url + "/readyz").status == 200)
        try await onOwnThread { server.stop() }
        var status = 0
        for _ in 0..<60 where status != 503 {
            status = try await probe(http, url + "/readyz").status
            if status != 503 { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(status == 503, "PostgreSQL is down")
        #expect(try await probe(http, url + "/healthz").status == 200)
        try await onOwnThread { try server.start() }
        for _ in 0..<60 where status != 200 {
            status = try await probe(http, url + "/readyz").status
            if status != 200 { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(status == 200, "PostgreSQL is back")
    }
}
