import DelegateProtocol
import Foundation
import GRDB
import HTTPClient
import Synchronization
import TestSupport
import Testing

/// A slow query stalls only what needs it (issue 22): with the tasks table held by another session and 16 requests
/// waiting on it, requests that need other tables or none answer while those 16 are still waiting.
@Suite(.serialized) struct SlowStorageTests {
    /// Sends `method path` with the token; the status, or nil when no answer came within `timeout`.
    func status(_ m: LiveManager, _ method: String, _ path: String, body: String? = nil, timeout: Duration) async -> Int? {
        let request = HTTPClientRequest(
            method: method, url: m.url + path, headers: [("Authorization", "Bearer \(m.token)"), ("Content-Type", "application/json")],
            body: body.map { Data($0.utf8) } ?? Data(), timeout: timeout)
        return try? await m.http.send(request).status
    }

    /// Holds `lock` (which returns a release), sends 16 requests that need the locked table, and checks that
    /// health and connectors answer before any of the 16 does; then releases and checks the 16 all answered.
    func unrelatedRequestsAnswer(_ m: LiveManager, blocked: (method: String, path: String, body: String?), lock: () async throws -> @Sendable () async -> Void) async throws {
        let release = try await lock()
        // The lock is held once a probe of the same kind gets no answer.
        var held = false
        for _ in 0..<50 where !held {
            held = await status(m, blocked.method, blocked.path, body: blocked.body, timeout: .milliseconds(300)) == nil
        }
        #expect(held, "the test's lock never held the table")
        // Answers of the 16: how many came, and how many succeeded (SQLite's busy timeout may fail one that waited 5 s on a slow machine).
        let done = Mutex((answered: 0, succeeded: 0))
        let waiting = Task {
            await concurrently(16) { _ in
                let answer = await status(m, blocked.method, blocked.path, body: blocked.body, timeout: .seconds(60))
                done.withLock { d in
                    d.answered += 1
                    if let answer, (200..<300).contains(answer) { d.succeeded += 1 }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(200))  // let the 16 reach the database
        for path in ["/v1/health", "/v1/connectors", "/v1/delegates"] {
            let answer = await status(m, "GET", path, timeout: .seconds(30))
            #expect(answer == 200, "GET \(path) answered \(answer.map(String.init) ?? "nothing")")
        }
        #expect(done.withLock { $0.succeeded } == 0, "the unrelated requests answered while the 16 still waited on the table")
        await release()
        await waiting.value
        #expect(done.withLock { $0.answered } == 16)
    }

    @Test func onSQLiteAWriteTransactionHeldOpenStallsOnlyWrites() async throws {
        guard TestStorage.current == .sqlite else { return }
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.register()
        let submit = #"{"type": "delegate.echo", "selectors": ["nobody"], "payload": {}}"#
        try await unrelatedRequestsAnswer(m, blocked: ("POST", "/v1/tasks", submit)) {
            var config = Configuration()
            config.allowsUnsafeTransactions = true  // the transaction stays open across calls: that is the point
            let other = try DatabaseQueue(path: m.dir + "/manager.sqlite", configuration: config)
            try other.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            return { try? other.inDatabase { db in try db.execute(sql: "COMMIT") } }
        }
    }

    @Test func onPostgreSQLALockedTasksTableStallsOnlyTheRequestsThatReadIt() async throws {
        guard TestStorage.current == .postgres else { return }
        let m = try await LiveManager.start(connections: 24)
        defer { Task { await m.stop() } }
        let database = try #require(m.postgresDatabase)
        let server = try PostgresServer.shared()
        let released = Mutex(false)
        try await unrelatedRequestsAnswer(m, blocked: ("GET", "/v1/tasks", nil)) {
            // Another session holds the table (as in the issue's measurement) until the test ends that session.
            Thread.detachNewThread {
                try? server.psql("BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120) AS holding_tasks_lock; COMMIT;", database: database)
                released.withLock { $0 = true }
            }
            return {
                try? server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%holding_tasks_lock%' AND pid <> pg_backend_pid()")
                while !released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(50)) }
            }
        }
    }
}
