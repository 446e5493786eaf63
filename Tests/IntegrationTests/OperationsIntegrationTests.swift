import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A NOTIFY_SOCKET the way systemd offers it: a Unix datagram socket; collects what the delegate sends.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var thread: Thread?
    private var stopped = false

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw HarnessError("bind(\(path)) failed: \(errno)") }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let t = Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 4096)
            while !self.lock.withLock({ self.stopped }) {
                let n = recv(self.fd, &buf, buf.count, 0)
                if n > 0 {
                    let msg = String(decoding: buf[0..<n], as: UTF8.self)
                    self.lock.withLock { self.received.append(msg) }
                }
            }
        }
        thread = t
        t.start()
    }

    var messages: [String] { lock.withLock { received } }

    deinit {
        lock.withLock { stopped = true }
        usleep(200_000)
        close(fd)
        unlink(path)
    }
}

/// Operating the daemon: crashes, signals, the status socket, secret masking — real processes and signals.
@Suite(.serialized) struct OperationsIntegrationTests {
    @Test func killNineMidTaskLosesNoSpooledLineAndReportsInterrupted() async throws {
        let dir = try Scratch("kill9")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        var delegate: DelegateProcess? = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        _ = try await connectedDelegate(client, name: "d1")
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 10_000, "delayMillis": 1])).taskId
        try await eventually(timeout: .seconds(60), "lines flowing") { try await client.task(id).logLines > 500 }
        delegate?.child.signal(SIGKILL)
        _ = await delegate?.child.wait(timeout: .seconds(120))
        delegate = nil
        // Same state dir, same name: the restarted delegate reports the task instead of re-running it.
        let restarted = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        let info = try await finished(client, id, timeout: .seconds(60))
        #expect(info.state == "failed")
        #expect(info.error?.code == "interrupted")
        #expect(info.error?.message == "the delegate restarted while the task was running")
        let lines = try await allLines(client, taskId: id)
        let n = lines.count
        #expect(n > 500 && n < 10_000)
        #expect(lines.map(\.seq) == (1...Int64(n)).map { $0 })
        #expect(lines.dropLast().enumerated().allSatisfy { $0.element.text == "line \($0.offset + 1) of 10000" })
        #expect(lines.last?.text == "the delegate restarted while the task was running")
        // It carries on: a new task runs on the restarted delegate.
        let next = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 2])).taskId
        #expect(try await finished(client, next).state == "succeeded")
        _ = restarted
    }

    @Test func sigtermLetsTheTaskFinishDeliversAndNotifiesInOrder() async throws {
        let dir = try Scratch("sigterm")
        let manager = try await ManagerProcess(dir: dir, extraArgs: ["--heartbeat-seconds", "1"])
        let client = manager.client()
        let notify = try NotifyListener(path: dir.file("notify.sock"))
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"], env: ["NOTIFY_SOCKET": notify.path])
        _ = try await connectedDelegate(client, name: "d1")
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 30, "delayMillis": 100])).taskId
        try await eventually("task running") { try await client.task(id).logLines >= 3 }
        try await eventually("a watchdog ping") { notify.messages.contains("WATCHDOG=1") }
        delegate.child.signal(SIGTERM)
        let status = await delegate.child.wait(timeout: .seconds(120))
        #expect(status == 0, "\(delegate.child.stderr)")
        let info = try await client.task(id)
        #expect(info.state == "succeeded")
        #expect(info.logLines == 30)
        let msgs = notify.messages
        let ready = msgs.firstIndex { $0.hasPrefix("READY=1") }
        let stopping = msgs.firstIndex { $0.hasPrefix("STOPPING=1") }
        #expect(ready != nil && stopping != nil)
        if let ready, let stopping {
            #expect(ready < stopping)
            #expect(msgs[ready..<stopping].contains("WATCHDOG=1"))
        }
        #expect(try await client.delegates().first?.state == "unregistered")
    }

    @Test func statusSocketCLIAgreesWithJSONAndRefusesOtherUsers() async throws {
        let dir = try Scratch("status")
        let manager = try await ManagerProcess(dir: dir, extraArgs: ["--heartbeat-seconds", "1"])
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a", "b"], capacity: 3)
        let delegateId = try await connectedDelegate(manager.client(), name: "d1")
        let socket = dir.file("d1.sock")
        // The socket is bound with the umask's mode (0755: nobody else may connect) and set to 0660 once listening.
        try await eventually("status socket with mode 0660") {
            (try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int) == 0o660
        }

        let asJSON = try Child(binDir + "/ecs-delegate", ["status", "--json", "--config", delegate.configPath], dir: dir, name: "status-json")
        #expect(await asJSON.wait(timeout: .seconds(120)) == 0)
        let s = try JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(s["delegateId"] as? String == delegateId)
        #expect(s["tags"] as? [String] == ["a", "b"])
        #expect(s["capacity"] as? Int == 3)
        #expect(s["connected"] as? Bool == true)

        let text = try Child(binDir + "/ecs-delegate", ["status", "--socket", socket], dir: dir, name: "status-text")
        #expect(await text.wait(timeout: .seconds(120)) == 0)
        #expect(text.stdout.contains("name: d1  id: \(delegateId)"))
        #expect(text.stdout.contains("manager:    \(manager.url) (connected)"))
        #expect(text.stdout.contains("tags:       a, b"))
        #expect(text.stdout.contains("capacity:   0/3 tasks running"))

        // curl works too, and /metrics speaks Prometheus; answers carry Date (RFC 9110 IMF-fixdate) and Server.
        let curl = try Child("/usr/bin/curl", ["-s", "-i", "--unix-socket", socket, "http://localhost/metrics"], dir: dir, name: "curl")
        #expect(await curl.wait(timeout: .seconds(120)) == 0)
        #expect(curl.stdout.contains("ecs_delegate_log_lines_shipped_total"))
        #expect(curl.stdout.contains("Server: ecs-delegate\r\n"), "\(curl.stdout.prefix(300))")
        #expect(curl.stdout.range(of: #"Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n"#, options: .regularExpression) != nil, "\(curl.stdout.prefix(300))")
        let notFound = try Child("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket, "http://localhost/v1/nothing"], dir: dir, name: "curl-404")
        #expect(await notFound.wait(timeout: .seconds(120)) == 0)
        #expect(notFound.stdout == "404")

        // Another uid, even with the file opened up, is refused by the SO_PEERCRED check.
        chmod(socket, 0o666)
        let nobody = try Child("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket, "http://localhost/v1/status"], dir: dir, name: "nobody")
        #expect(await nobody.wait(timeout: .seconds(120)) == 0)
        #expect(nobody.stdout == "403")
    }

    @Test func aSecretInTaskOutputIsMaskedEverywhere() async throws {
        let dir = try Scratch("mask")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        _ = try await connectedDelegate(client, name: "d1")
        let secret = "hunter2-\(UUID().uuidString.prefix(8))"
        let multi = "-----BEGIN KEY-----\nMIIEsecretkeyline\n-----END KEY-----"
        // The payload names the secrets; the delegate puts their values in the lines at run time.
        let lines: [JSONValue] = [
            .string("password is <+secrets.db>"),
            .string(#"{"env":{"DB_PASSWORD":"<+secrets.db>"}}"#),
            .string("token <+secrets.token> leaked"),
            .string("key:\n<+secrets.key>"),
        ]
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["lines": .array(lines)], secrets: ["db": secret, "key": multi, "token": manager.token])).taskId
        #expect(try await finished(client, id).state == "succeeded")
        let shipped = try await allLines(client, taskId: id).map(\.text)
        #expect(shipped == [
            "password is **************", #"{"env":{"DB_PASSWORD":"**************"}}"#, "token ************** leaked", "key:\n**************",
        ])
        let local = try Child(binDir + "/ecs-delegate", ["logs", "--config", delegate.configPath, id], dir: dir, name: "logs")
        #expect(await local.wait(timeout: .seconds(120)) == 0)
        #expect(local.stdout.contains("password is **************"))
        // Nothing anywhere on disk: the delegate's SQLite (with its WAL), the manager's, the outputs.
        for (name, needle) in [("db secret", secret), ("key line", "MIIEsecretkeyline"), ("token", manager.token)] {
            for file in try FileManager.default.subpathsOfDirectory(atPath: dir.path) where !file.hasSuffix("token") && !file.hasSuffix(".yaml") {
                let full = dir.file(file)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue, let data = FileManager.default.contents(atPath: full) else { continue }
                let found = String(decoding: data, as: UTF8.self).contains(needle)
                #expect(!found, "the \(name) was found in \(file)")
            }
        }
    }

    @Test func theConnectorsSecretValuesAreMaskedAsItsWireFormNamesThem() async throws {
        let dir = try Scratch("maskconn")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        defer { _ = delegate }
        _ = try await connectedDelegate(client, name: "d1")
        let key = "sk-\(UUID().uuidString.prefix(8))", session = "st-\(UUID().uuidString.prefix(8))", password = "pw-\(UUID().uuidString.prefix(8))"
        let typed: JSONValue = [
            "aws": ["region": "us-east-1", "credentials": ["kind": "assumeRole", "roleArn": "arn:aws:iam::1:role/r",
                                                          "source": ["kind": "static", "accessKeyId": "AKIDPLAIN", "secretAccessKey": .string(key), "sessionToken": .string(session)]]],
            "dockerRegistry": ["url": "http://127.0.0.1:5000", "username": "u", "password": .string(password)],
        ]
        let lines: JSONValue = .array([.string("key \(key)"), .string("session \(session)"), .string("password \(password)"), "id AKIDPLAIN"])
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["lines": lines], connector: typed)).taskId
        #expect(try await finished(client, id).state == "succeeded")
        #expect(try await allLines(client, taskId: id).map(\.text) == ["key **************", "session **************", "password **************", "id AKIDPLAIN"])
        // A connector that does not read as the wire form is still scanned for anything named like a secret.
        let odd: JSONValue = ["aws": ["region": 5], "vendor": ["apiToken": .string(key)]]
        let oddId = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["lines": [.string("token \(key)")]], connector: odd)).taskId
        #expect(try await finished(client, oddId).state == "succeeded")
        #expect(try await allLines(client, taskId: oddId).map(\.text) == ["token **************"])
    }

    @Test func aFullSpoolDropsLinesVisiblyAndKeepsSequenceNumbersDense() async throws {
        let dir = try Scratch("spoolcap")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"], extra: "spool_max_lines: 100")
        _ = try await connectedDelegate(client, name: "d1")
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 400, "delayMillis": 5])).taskId
        try await eventually("first lines shipped") { try await client.task(id).logLines > 0 }
        await manager.stop(SIGKILL)
        try await Task.sleep(for: .seconds(3))  // the task finishes writing while the manager is away
        try await manager.start()
        let info = try await finished(client, id, timeout: .seconds(60))
        #expect(info.state == "succeeded")
        let lines = try await allLines(client, taskId: id)
        #expect(lines.map(\.seq) == (1...Int64(lines.count)).map { $0 })
        #expect(lines.count < 400)
        #expect(lines.contains { $0.text.contains("log lines dropped: the delegate's spool was full (spool_max_lines 100)") })
        #expect(delegate.child.stderr.contains("log spool full"))
        let metrics = try Child("/usr/bin/curl", ["-s", "--unix-socket", dir.file("d1.sock"), "http://localhost/metrics"], dir: dir, name: "metrics")
        #expect(await metrics.wait(timeout: .seconds(120)) == 0)
        #expect(metrics.stdout.contains("ecs_delegate_log_lines_dropped_total") && !metrics.stdout.contains("ecs_delegate_log_lines_dropped_total 0"))
    }

    @Test func aSecondSigtermCancelsRunningTasksWhichReportWhatTheyLogged() async throws {
        let dir = try Scratch("sigterm2")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        _ = try await connectedDelegate(client, name: "d1")
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 1000, "delayMillis": 50])).taskId
        try await eventually("task running") { try await client.task(id).logLines >= 5 }
        delegate.child.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(500))
        #expect(delegate.child.isRunning, "the first SIGTERM waits for the task")
        delegate.child.signal(SIGTERM)
        #expect(await delegate.child.wait(timeout: .seconds(120)) == 0, "\(delegate.child.stderr)")
        let info = try await client.task(id)
        #expect(info.state == "cancelled")
        let lines = try await allLines(client, taskId: id)
        #expect(lines.count > 5 && lines.count < 1000)
        #expect(lines.map(\.seq) == (1...Int64(lines.count)).map { $0 })
        #expect(lines.last?.text == "Task cancelled")
    }
}
