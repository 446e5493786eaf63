import DelegateProtocol
import Foundation
import HTTPClient
import Hummingbird
import ManagerClient
import Testing
import TestSupport

/// The walking skeleton end to end: `ecs-manager` and `ecs-delegate` as real processes on loopback.
@Suite(.serialized) struct RuntimeIntegrationTests {
    @Test func thousandLinesArriveInOrderExactlyOnceWithFollow() async throws {
        let dir = try Scratch("follow")
        let manager = try await ManagerProcess(dir: dir)
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        _ = try await connectedDelegate(manager.client(), name: "d1")

        let payload = try dir.write("echo.json", #"{"count": 1000}"#)
        let submit = try Child(binDir + "/ecs-manager", ["submit", "--manager", manager.url, "--token-file", manager.tokenFile, "--type", "delegate.echo", "--selector", "a", "--payload", payload, "--follow", "--no-timestamps"], dir: dir, name: "submit")
        let status = await submit.wait(timeout: .seconds(60))
        #expect(status == 0, "submit --follow: \(submit.stderr)")
        let printed = submit.stdout.split(separator: "\n").map(String.init)
        #expect(printed == (1...1000).map { "line \($0) of 1000" })

        let failing = try dir.write("fail.json", #"{"count": 3, "exitStatus": 3}"#)
        let submit2 = try Child(binDir + "/ecs-manager", ["submit", "--manager", manager.url, "--token-file", manager.tokenFile, "--type", "delegate.echo", "--selector", "a", "--payload", failing, "--follow"], dir: dir, name: "submit2")
        #expect(await submit2.wait(timeout: .seconds(60)) == 1)
        #expect(submit2.stderr.contains("echo.exit_status: echo finished with exit status 3"))
        // Without --no-timestamps each line carries its time and level, as the delegate stamped them.
        let stamped = submit2.stdout.split(separator: "\n").map(String.init)
        #expect(stamped.map(untimed) == ["line 1 of 3", "line 2 of 3", "line 3 of 3", "echo finished with exit status 3"], "\(submit2.stdout)")
        #expect(stamped.prefix(3).allSatisfy { ISO8601Millis.date(from: String($0.prefix(24))) != nil && $0.dropFirst(24).hasPrefix(" INFO  line ") }, "\(submit2.stdout)")
        #expect(stamped.last?.dropFirst(24).hasPrefix(" ERROR echo finished") == true, "the failure's line at its level: \(submit2.stdout)")
        _ = delegate
    }

    @Test func tasksRouteOnlyToDelegatesWhoseTagsIncludeEverySelector() async throws {
        let dir = try Scratch("routing")
        let manager = try await ManagerProcess(dir: dir)
        let client = manager.client()
        let onlyA = try DelegateProcess(dir: dir, name: "only-a", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        let ab = try DelegateProcess(dir: dir, name: "a-and-b", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a", "b"])
        let idA = try await connectedDelegate(client, name: "only-a")
        let idAB = try await connectedDelegate(client, name: "a-and-b")
        #expect(idA != idAB)

        var bTasks: [String] = []
        for _ in 0..<8 {
            bTasks.append(try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["b"], payload: ["count": 2, "delayMillis": 20])).taskId)
        }
        let cTask = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["c"], payload: ["count": 1])).taskId
        for id in bTasks {
            let info = try await finished(client, id)
            #expect(info.state == "succeeded")
            #expect(info.delegateId == idAB)
        }
        try await Task.sleep(for: .seconds(1))
        let c = try await client.task(cTask)
        #expect(c.state == "queued")
        #expect(c.delegateId == nil)
        #expect(c.waitingReason?.contains("c") == true)
        _ = (onlyA, ab)
    }

    @Test func requestsWithoutTheRightTokenAreRefusedAndQueueNothing() async throws {
        let dir = try Scratch("auth")
        let manager = try await ManagerProcess(dir: dir)
        let http = HTTPClient()
        let body = try ProtocolV1.encoder().encode(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
        for auth in [nil, "Bearer wrong", "Bearer ", "Basic \(manager.token)"] as [String?] {
            var req = HTTPClientRequest(method: "POST", url: manager.url + "/v1/tasks", headers: [("Content-Type", "application/json")], body: body)
            if let auth { req.headers.append(("Authorization", auth)) }
            let r = try await http.send(req)
            #expect(r.status == 401)
            let err = try ProtocolV1.decoder().decode(ErrorBody.self, from: r.body)
            #expect(err.error.code == "unauthorized")
        }
        let wrong = ManagerClient(baseURL: manager.url, token: "nope", http: http)
        await #expect(throws: ManagerClientError.self) { _ = try await wrong.delegates() }
        #expect(try await manager.client().tasks().isEmpty)
    }

    @Test func aTenSecondManagerOutageLosesNoLine() async throws {
        let dir = try Scratch("outage")
        let manager = try await ManagerProcess(dir: dir)
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: manager.url, tokenFile: manager.tokenFile, tags: ["a"])
        let client = manager.client()
        _ = try await connectedDelegate(client, name: "d1")
        let id = try await client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["a"], payload: ["count": 1000, "delayMillis": 8])).taskId
        try await eventually("some lines shipped") { try await client.task(id).logLines > 50 }

        await manager.stop(SIGKILL)
        try await Task.sleep(for: .seconds(10))
        #expect(delegate.child.isRunning)
        try await manager.start()

        let info = try await finished(client, id, timeout: .seconds(90))
        #expect(info.state == "succeeded")
        let lines = try await allLines(client, taskId: id)
        #expect(lines.map(\.seq) == Array(1...1000))
        #expect(lines.map(\.text) == (1...1000).map { "line \($0) of 1000" })
    }

    @Test func garbageFromTheManagerIsReportedAndBackedOffFrom() async throws {
        let dir = try Scratch("garbage")
        let hits = HitCounter()
        let server = try await LoopbackServer.start { r in
            r.post("v1/delegates/register") { _, _ -> Response in
                switch await hits.hit() {
                case 0..<2: return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{not json")))
                case 2..<4: return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "boom")))
                default:
                    // A response that never ends: headers, a little body, then nothing.
                    return Response(status: .ok, body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: "{"))
                        try await Task.sleep(for: .seconds(60))
                    })
                }
            }
        }
        defer { server.stop() }
        let token = try dir.write("token", "tok")
        let delegate = try DelegateProcess(dir: dir, name: "d1", managerURL: server.baseURL, tokenFile: token, tags: ["a"], extra: "request_timeout_seconds: 0.5")
        try await eventually(timeout: .seconds(40), "a hanging response was tried") { await hits.count >= 5 }
        try await Task.sleep(for: .seconds(1))
        #expect(delegate.child.isRunning)
        let err = delegate.child.stderr
        #expect(err.contains("registration failed; retrying"))
        #expect(err.contains("manager sent an invalid answer"))
        #expect(err.contains("manager answered 500"))
        #expect(err.contains("timed out") || err.contains("timeout"))
        // Backing off, not spinning: a handful of attempts in all this time.
        #expect(await hits.count < 20)
    }
}

actor HitCounter {
    var count = 0
    func hit() -> Int {
        count += 1
        return count - 1
    }
}
