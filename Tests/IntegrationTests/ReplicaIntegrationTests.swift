import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import TestSupport
import Testing

/// Two `ecs-manager serve --database` replicas on one real PostgreSQL server, with real `ecs-delegate` processes:
/// tasks run exactly once whichever replica they were submitted to, a delegate fails over when its replica is killed,
/// and PostgreSQL stopped for 10 s mid-task loses nothing.
@Suite(.serialized) struct ReplicaIntegrationTests {
    /// A PostgreSQL server of the test's own, a database on it, and two manager replicas sharing the database and one bootstrap token.
    final class Replicas: @unchecked Sendable {
        let dir: Scratch
        let postgres: PostgresServer
        let a: ManagerProcess
        let b: ManagerProcess
        let http = HTTPClient()

        init(_ name: String) async throws {
            dir = try Scratch(name)
            // Waited for on a thread of its own, not one of the test process's few concurrency threads.
            let server = try await onOwnThread { try PostgresServer() }
            postgres = server
            let database = (url: server.url(try await onOwnThread { try server.createDatabase(prefix: "replicas") }), passwordFile: server.passwordFile)
            let token = "tok-" + UUID().uuidString
            // The first replica migrates; the second finds the schema in place.
            a = try await ManagerProcess(dir: dir, extraArgs: ["--log-level", "warning"], database: database, name: "manager-a", token: token)
            b = try await ManagerProcess(dir: dir, extraArgs: ["--log-level", "warning"], database: database, name: "manager-b", token: token)
        }

        /// A delegate of `urls` (`manager_urls`), named `name`.
        func delegate(_ name: String, urls: [String], capacity: Int = 8) throws -> DelegateProcess {
            try DelegateProcess(dir: dir, name: name, managerURL: urls[0], managerURLs: urls, tokenFile: a.tokenFile, tags: ["replicas"], capacity: capacity)
        }

        /// Waits for delegate `name` to be connected, as `client`'s replica sees it; on a time-out the error carries what the processes wrote.
        func connected(_ d: DelegateProcess, _ name: String, through client: ManagerClient) async throws {
            do {
                _ = try await connectedDelegate(client, name: name)
            } catch {
                throw HarnessError("\(error)\n\(name): \(d.child.stderr.suffix(3000))\nmanager-a: \(a.child?.stderr.suffix(2000) ?? "")\nmanager-b: \(b.child?.stderr.suffix(2000) ?? "")")
            }
        }

        /// Delegate "d1" on both replicas (A first), connected as `client`'s replica sees it, running an echo task of
        /// `lines` lines 1 ms apart submitted through `client`, once `storedBefore` of them are stored: the delegate and the task id.
        func streamingEcho(lines: Int, through client: ManagerClient, storedBefore: Int) async throws -> (DelegateProcess, String) {
            let d = try delegate("d1", urls: [a.url, b.url])
            try await connected(d, "d1", through: client)
            let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: ["count": .number(Double(lines)), "delayMillis": 1])).taskId
            try await eventually(timeout: .seconds(30), "\(storedBefore) lines stored") { try await client.task(id).logLines >= storedBefore }
            return (d, id)
        }

        /// Kills both replicas, stops PostgreSQL and removes its directory, before the test returns.
        func remove() {
            for m in [a, b] {
                m.child?.signal(SIGKILL)
                m.child?.waitUntilExit()
            }
            postgres.remove()
        }
    }

    /// How many tasks the delegate says it ran to success (`ecs_delegate_tasks_total` on its status socket).
    func tasksSucceeded(_ dir: Scratch, _ name: String) async throws -> Int {
        let curl = try Child("/usr/bin/curl", ["-s", "--unix-socket", dir.file("\(name).sock"), "http://localhost/metrics"], dir: dir, name: "metrics-\(name)")
        guard await curl.wait(timeout: .seconds(120)) == 0 else { throw HarnessError("cannot read \(name)'s metrics: \(curl.stderr)") }
        for line in curl.stdout.split(separator: "\n") where line.hasPrefix("ecs_delegate_tasks_total{") && line.contains("outcome=\"succeeded\"") {
            if let n = line.split(separator: " ").last.flatMap({ Double($0) }) { return Int(n) }
        }
        return 0
    }

    @Test func serveRefusesUnusableDatabaseFlagsWithOneLineNamingWhat() async throws {
        let dir = try Scratch("replicas-flags")
        let token = try dir.write("token", "tok-flags")
        let loose = try dir.write("loose-password", "hunter2-db\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose)
        let nothing = freeLoopbackPort()
        let cases: [(args: [String], says: String)] = [
            (["--data", dir.file("d"), "--database", "postgres://ecs@127.0.0.1:5432/db"], "--data and --database exclude each other"),
            (["--database", "postgres://ecs:hunter2-db@127.0.0.1:5432/db"], "must not hold a password"),
            (["--database", "postgres://ecs@127.0.0.1:5432/db?sslmode=maybe"], "sslmode 'maybe' is not one of"),
            (["--database", "postgres://ecs@127.0.0.1:5432/db", "--database-password-file", loose], "may be read by others"),
            (["--database", "postgres://ecs@127.0.0.1:\(nothing)/db?sslmode=disable"], "connecting to 127.0.0.1:\(nothing)"),
            (["--token-file", token], "give --data DIR (SQLite) or --database"),
        ]
        for (i, c) in cases.enumerated() {
            let args = ["serve", "--listen", "127.0.0.1:0"] + (c.args.contains("--token-file") ? c.args : c.args + ["--token-file", token])
            let child = try Child(binDir + "/ecs-manager", args, dir: dir, name: "serve-\(i)")
            let status = await child.wait(timeout: .seconds(120))
            #expect(status != nil && status != 0, "\(c.args) should stop serve")
            #expect(child.stderr.contains(c.says), "\(c.args): \(child.stderr)")
            #expect(!child.stderr.contains("hunter2-db"), "the password must not be repeated")
        }
    }

    @Test func tasksSubmittedAlternatelyToTwoReplicasRunExactlyOnceOnDelegatesOfEither() async throws {
        let r = try await Replicas("replicas-run")
        defer { r.remove() }
        let d1 = try r.delegate("d1", urls: [r.a.url])
        let d2 = try r.delegate("d2", urls: [r.b.url])
        let clientA = r.a.client(r.http)
        let clientB = r.b.client(r.http)
        try await r.connected(d1, "d1", through: clientA)
        try await r.connected(d2, "d2", through: clientB)
        let count = 300
        var ids: [String] = []
        let started = ContinuousClock.now
        for i in 0..<count {
            let client = i % 2 == 0 ? clientA : clientB
            ids.append(try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["replicas"], payload: ["count": 2])).taskId)
        }
        for id in ids {
            let info = try await finished(i(ids, id) % 2 == 0 ? clientB : clientA, id, timeout: .seconds(60))  // read through the other replica
            #expect(info.state == "succeeded", "\(id): \(info.error.map { "\($0.code): \($0.message)" } ?? info.state)")
            #expect(try await allLines(clientA, taskId: id).map(\.seq) == [1, 2])
        }
        let elapsed = ContinuousClock.now - started
        let ran = (try await tasksSucceeded(r.dir, "d1"), try await tasksSucceeded(r.dir, "d2"))
        print("two replicas, two delegates: \(count) echo tasks submitted alternately ran in \(elapsed); d1 ran \(ran.0), d2 ran \(ran.1)")
        #expect(ran.0 + ran.1 == count, "every task ran once, on one delegate")
        #expect(ran.0 > 0 && ran.1 > 0, "both replicas' delegates took tasks")
    }

    /// The index of `id` in `ids`.
    func i(_ ids: [String], _ id: String) -> Int { ids.firstIndex(of: id) ?? 0 }

    @Test func killingTheReplicaATaskStreamsThroughFailsTheDelegateOverWithEveryLineOnce() async throws {
        let r = try await Replicas("replicas-kill")
        defer { r.remove() }
        let clientB = r.b.client(r.http)
        let lines = 10_000
        let (d, id) = try await r.streamingEcho(lines: lines, through: clientB, storedBefore: lines / 5)
        // The delegate is attached to replica A: kill -9 it while the lines stream through it.
        await r.a.stop(SIGKILL)
        let info = try await finished(clientB, id, timeout: .seconds(90))
        #expect(info.state == "succeeded", "\(info.error.map { "\($0.code): \($0.message)" } ?? info.state)")
        let stored = try await allLines(clientB, taskId: id)
        #expect(stored.count == lines)
        #expect(stored.map(\.seq) == (1...Int64(lines)).map { $0 }, "every line exactly once, in order")
        #expect(stored.last?.text == "line \(lines) of \(lines)")
        #expect(d.child.stderr.contains("moving to the next manager URL") || d.child.stdout.contains("moving to the next manager URL"))
        #expect(try await tasksSucceeded(r.dir, "d1") == 1)
    }

    @Test func aPostgreSQLRestartMidTaskIsRiddenOutWithNothingLost() async throws {
        let r = try await Replicas("replicas-pgrestart")
        defer { r.remove() }
        let clientA = r.a.client(r.http)
        let lines = 8_000
        let (d, id) = try await r.streamingEcho(lines: lines, through: clientA, storedBefore: 500)
        // PostgreSQL goes away for 10 s while the task streams: the managers answer errors, the delegate spools and retries.
        let server = r.postgres
        _ = try? await onOwnThread { server.stop() }
        try await Task.sleep(for: .seconds(10))
        try r.postgres.start()
        let back = ContinuousClock.now
        let info = try await finished(clientA, id, timeout: .seconds(90))
        print("PostgreSQL stopped for 10 s mid-task: the task's result was in \(ContinuousClock.now - back) after PostgreSQL was back")
        #expect(info.state == "succeeded", "\(info.error.map { "\($0.code): \($0.message)" } ?? info.state)")
        let stored = try await allLines(r.b.client(r.http), taskId: id)
        #expect(stored.map(\.seq) == (1...Int64(lines)).map { $0 }, "every line exactly once, in order")
        // Both replicas still serve, and a task submitted after the restart runs.
        let after = try await r.b.client(r.http).submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: ["count": 1])).taskId
        #expect(try await finished(clientA, after, timeout: .seconds(60)).state == "succeeded")
        #expect(r.a.child?.isRunning == true && r.b.child?.isRunning == true)
        withExtendedLifetime(d) {}
    }
}
