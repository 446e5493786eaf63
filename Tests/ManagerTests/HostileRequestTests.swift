import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import ManagerCore
import Testing

/// The manager's API against hostile and careless input: clear 400s naming the member, never a hang or a crash.
@Suite struct HostileRequestTests {
    /// Submits `body` as-is; returns the error code and message (nil when accepted).
    func submitRaw(_ m: LiveManager, _ body: String) async throws -> (Int, String, String) {
        let (status, error) = try await m.post("/v1/tasks", raw: body)
        return (status, error?.code ?? "", error?.message ?? "")
    }

    @Test func numbersThatDoNotFitNameTheMember() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.register()
        for number in ["1e20", "99999999999999999999", "1.5"] {
            let (status, code, message) = try await submitRaw(m, #"{"type": "delegate.echo", "selectors": [], "payload": {"x": 0.25}, "timeoutSeconds": \#(number)}"#)
            #expect(status == 400 && code == "invalid_body")
            #expect(message.contains("member 'timeoutSeconds' is out of range"), "\(message)")
            #expect(!message.contains("not valid JSON"), "\(message)")
        }
        let logs = try await m.post("/v1/tasks/t/logs", raw: #"{"leaseId": "l", "lines": [{"seq": 1e300, "time": "2026-11-27T10:00:00Z", "level": "info", "unit": "u", "text": "t"}]}"#)
        #expect(logs.error?.message.contains("member 'lines[0].seq' is out of range") == true, "\(String(describing: logs.error))")
    }

    @Test func submissionsOutOfBoundsAreRefusedNamingTheMember() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.register()
        let cases: [(String, String, String)] = [
            ("timeoutSeconds", "-5", "member 'timeoutSeconds' must be from 1 to 604800 seconds, got -5"),
            ("timeoutSeconds", "604801", "member 'timeoutSeconds' must be from 1 to 604800 seconds"),
            ("selectors", #"[""]"#, "member 'selectors[0]': a tag must not be empty"),
            ("selectors", #"["a\u0007"]"#, "member 'selectors[0]': a tag must not contain control characters"),
            ("selectors", "[\"\(String(repeating: "s", count: 65))\"]", "member 'selectors[0]': a tag must be at most 64 bytes (got 65)"),
            ("selectors", "[" + (0..<33).map { "\"s\($0)\"" }.joined(separator: ",") + "]", "member 'selectors' has 33 entries; at most 32"),
        ]
        for (member, value, expected) in cases {
            var fields = ["type": #""delegate.echo""#, "selectors": "[]", "payload": "{}"]
            fields[member] = value
            let body = "{" + fields.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
            let (status, code, message) = try await submitRaw(m, body)
            #expect(status == 400 && code == "invalid", "\(member): \(code)")
            #expect(message.contains(expected), "\(member): \(message)")
        }
        for type in ["", "delegate echo", "delegate.echo\n", String(repeating: "t", count: 129)] {
            await #expect(throws: ManagerClientError.self, "type \(type.debugDescription)") {
                _ = try await m.client.submit(SubmitTaskRequest(type: type, selectors: [], payload: [:]))
            }
        }
        #expect(try await m.client.tasks().isEmpty, "nothing was queued")
    }

    @Test func anUnknownTaskTypeIsRefusedNamingTheKnownOnes() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        do {
            _ = try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:]))
            Issue.record("a type no delegate registered was queued")
        } catch ManagerClientError.http(400, "invalid", let message) {
            #expect(message.contains("unknown task type 'delegate.echo'") && message.contains("no delegate has registered yet"), "\(message)")
        }
        let id = try await m.register()
        try await m.client.unregister(delegateId: id, reason: "test")
        do {
            _ = try await m.client.submit(SubmitTaskRequest(type: "ecs.rolling.deplyo", selectors: [], payload: [:]))
            Issue.record("a mistyped type was queued")
        } catch ManagerClientError.http(400, "invalid", let message) {
            #expect(message.contains("unknown task type 'ecs.rolling.deplyo'") && message.contains("known types: delegate.echo"), "\(message)")
        }
        // A type an unregistered delegate once offered is still accepted: it queues until one comes back.
        #expect(try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:])).state == "queued")
    }

    @Test func deeplyNestedBodiesGetAShortAnswer() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        _ = try await m.register()
        let deep = String(repeating: "[", count: 511) + String(repeating: "]", count: 511)
        let (status, code, message) = try await submitRaw(m, #"{"type": "delegate.echo", "selectors": [], "payload": \#(deep)}"#)
        #expect(status == 400 && code == "invalid_body")
        #expect(message.contains("nested deeper than 64 levels"), "\(message)")
        #expect(message.utf8.count < 200, "\(message)")
        // 60 levels is fine.
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(try await submitRaw(m, #"{"type": "delegate.echo", "selectors": [], "payload": \#(ok)}"#).0 == 201)
    }

    @Test func registrationsWithUnprintableOrUnboundedValuesAreRefused() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        func register(_ change: (inout RegisterRequest) -> Void) async -> String? {
            var r = RegisterRequest(name: "d", hostname: "h", version: "1", tags: ["ecs"], capacity: 1, taskTypes: ["delegate.echo"], instanceId: UUID().uuidString)
            change(&r)
            do {
                _ = try await m.client.register(r)
                return nil
            } catch ManagerClientError.http(400, _, let message) {
                return message
            } catch {
                return "\(error)"
            }
        }
        #expect(await register { $0.name = "evil\nd-0000  fake  connected" }?.contains("member 'name': a name must not contain control characters") == true)
        #expect(await register { $0.tags = ["ecs", ""] }?.contains("member 'tags[1]': a tag must not be empty") == true)
        #expect(await register { $0.tags = [String(repeating: "t", count: 65)] }?.contains("member 'tags[0]': a tag must be at most 64 bytes (got 65)") == true)
        #expect(await register { $0.name = String(repeating: "n", count: 129) }?.contains("member 'name': a name must be at most 128 bytes (got 129)") == true)
        #expect(await register { $0.capacity = 0 }?.contains("member 'capacity' must be from 1 to 1000, got 0") == true)
        #expect(await register { $0.capacity = 1001 }?.contains("member 'capacity' must be from 1 to 1000, got 1001") == true)
        #expect(await register { $0.taskTypes = ["a b"] }?.contains("member 'taskTypes[0]' must not contain whitespace") == true)
        #expect(await register { $0.instanceId = "" }?.contains("member 'instanceId' must not be empty") == true)
        #expect(await register { $0.protocolVersion = 2 }?.contains("protocolVersion") == true)
        #expect(await register { _ in } == nil)
        #expect(try await m.client.delegates().count == 1, "only the valid registration is stored")
    }

    @Test func heartbeatsOutOfBoundsAreRefused() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let id = try await m.register()
        for (hb, expected) in [
            (HeartbeatRequest(running: [], freeCapacity: -1, status: "active"), "member 'freeCapacity' must be from 0 to 1000, got -1"),
            (HeartbeatRequest(running: [], freeCapacity: 1, status: "asleep"), "member 'status' must be \"active\" or \"draining\""),
        ] {
            do {
                _ = try await m.client.heartbeat(delegateId: id, hb)
                Issue.record("accepted \(hb)")
            } catch ManagerClientError.http(400, "invalid", let message) {
                #expect(message.contains(expected), "\(message)")
            }
        }
        #expect(try await m.client.heartbeat(delegateId: id, HeartbeatRequest(running: [], freeCapacity: 2, status: "draining")).renewed.isEmpty)
        // The reason is logged: a newline in it would forge a log line.
        await #expect(throws: ManagerClientError.self) { try await m.client.unregister(delegateId: id, reason: "bye\nerror ecs-manager: forged") }
        try await m.client.unregister(delegateId: id, reason: "bye")
    }

    @Test func queryNumbersOutOfRangeAreRefusedNotTrappedOn() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let id = try await m.register()
        let task = try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: ["nobody"], payload: [:])).taskId
        // `wait=nan` once reached `Int(nan * 1000)`, which stops the process.
        for path in [
            "/v1/delegates/\(id)/tasks/next?wait=nan", "/v1/delegates/\(id)/tasks/next?wait=1e400", "/v1/delegates/\(id)/tasks/next?wait=121",
            "/v1/tasks/\(task)/logs?wait=nan", "/v1/tasks/\(task)/logs?after=-1", "/v1/tasks/\(task)/logs?limit=0", "/v1/tasks?limit=0", "/v1/tasks?limit=x",
        ] {
            let response = try await m.http.send(HTTPClientRequest(url: m.url + path, headers: [("Authorization", "Bearer \(m.token)")]))
            let error = try? ProtocolV1.decoder().decode(ErrorBody.self, from: response.body).error
            #expect(response.status == 400 && error?.code == "invalid", "\(path): \(response.status)")
            #expect(error?.message.contains("query parameter '") == true, "\(path): \(String(describing: error))")
        }
        #expect(try await m.client.nextTask(delegateId: id, wait: 0.1) == nil, "still serving")
    }

    @Test func aDeclaredBodyOverTheLimitIsRefusedWithoutWaitingForIt() async throws {
        var settings = ManagerSettings()
        settings.maxBodyBytes = 1024
        let m = try await LiveManager.start(settings)
        defer { Task { await m.stop() } }
        // The body is sent in full here; the raw-socket case (a Content-Length with no body behind it) is in tests/protocol.
        let (status, error) = try await m.post("/v1/tasks", raw: String(repeating: " ", count: 2048) + "{}")
        #expect(status == 413)
        #expect(error?.code == "too_large")
    }

    @Test func cancellingAFinishedTaskAnswers409AlreadyFinished() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let id = try await m.register()
        let task = try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:])).taskId
        let env = try #require(try await m.client.nextTask(delegateId: id, wait: 5))
        try await m.client.sendResult(taskId: task, TaskResult(leaseId: env.leaseId, status: .failed, error: TaskError(code: "x", message: "y")))
        do {
            try await m.client.cancel(taskId: task)
            Issue.record("cancel of a finished task was accepted")
        } catch ManagerClientError.http(409, "already_finished", let message) {
            #expect(message == "task \(task) already finished: failed")
        }
    }

    @Test func aReRegistrationEndsTheEarlierProcessesParkedPollAndReleasesItsTask() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let id = try await m.register(instance: "i-restarted")
        // The earlier process's poll, parked for a minute.
        let stale = Task { try await m.client.nextTask(delegateId: id, wait: 60) }
        try await Task.sleep(for: .milliseconds(200))
        // The process is killed and starts again on the same state dir: same instance, same delegate id.
        #expect(try await m.register(instance: "i-restarted", held: []) == id)
        let staleAnswer = try await stale.value
        #expect(staleAnswer == nil, "the earlier process's poll ends with 204, leasing nothing")
        let task = try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:])).taskId
        #expect(try await m.client.nextTask(delegateId: id, wait: 10)?.taskId == task)
    }

    @Test func aTaskHandedToAProcessThatDiedIsRequeuedWhenItRegistersAgain() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        let id = try await m.register(instance: "i-died")
        let task = try await m.client.submit(SubmitTaskRequest(type: "delegate.echo", selectors: [], payload: [:])).taskId
        let first = try #require(try await m.client.nextTask(delegateId: id, wait: 5))  // handed over, then the process died
        #expect(try await m.register(instance: "i-died", held: []) == id)
        #expect(try await m.client.task(task).state == "queued")
        let second = try #require(try await m.client.nextTask(delegateId: id, wait: 5))
        #expect(second.taskId == task && second.leaseId != first.leaseId)
    }

    @Test func describeNamesTheMemberOfADataCorruptedError() {
        struct Body: Decodable { var when: Date }
        let decoder = ProtocolV1.decoder()
        let data = Data(#"{"when": "yesterday"}"#.utf8)
        do {
            _ = try decoder.decode(Body.self, from: data)
            Issue.record("decoded")
        } catch let e as DecodingError {
            #expect(describe(e, decoding: Body.self, from: data, with: decoder).hasPrefix("member 'when' has an invalid value"))
        } catch {
            Issue.record("\(error)")
        }
        let broken = Data(#"{"when": "#.utf8)
        do {
            _ = try decoder.decode(Body.self, from: broken)
        } catch let e as DecodingError {
            #expect(describe(e, decoding: Body.self, from: broken, with: decoder).hasPrefix("invalid JSON"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
