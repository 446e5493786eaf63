import DelegateProtocol
import DelegateRuntime
import ECSSteps
import Foundation
import HTTPClient
import Hummingbird
import StepContracts
import Synchronization
import Testing
import TestSupport

/// `verify.http` run as the delegate runs it (through `ecsHandlers`), against a loopback server.
@Suite struct VerifyHTTPStepTests {
    /// What the server saw.
    final class Seen: Sendable {
        let hits = Atomic<Int>(0)
        let hosts = Mutex<[String]>([])
    }

    /// A server answering `/ok` with 200 and a JSON body, and `/flaky` with 500 on every third request.
    func server(_ seen: Seen) async throws -> LoopbackServer {
        try await LoopbackServer.start { r in
            r.get("ok") { req, _ -> String in
                seen.hits.add(1, ordering: .relaxed)
                seen.hosts.withLock { $0.append(req.head.authority ?? "") }
                return #"{"status":"ok"}"#
            }
            r.get("flaky") { _, _ -> Response in
                let n = seen.hits.add(1, ordering: .relaxed).newValue
                return Response(status: n % 3 == 0 ? .internalServerError : .ok)
            }
        }
    }

    func port(_ server: LoopbackServer) -> String { String(server.baseURL.split(separator: ":").last ?? "0") }

    func run(_ type: TaskType, _ payload: JSONValue, cancelWhen: (@Sendable () -> Bool)? = nil) async throws -> (Result<TaskOutcome, Error>, [String]) {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "verify-\(UUID().uuidString.prefix(8))")
        let env = StepEnvironment(http: HTTPClient(), store: store)
        let handler = try #require(ecsHandlers(env).first { $0.type == type.rawValue })
        let envelope = TaskEnvelope(taskId: "t1", leaseId: "l1", type: type.rawValue, selectors: [], timeoutSeconds: 600, executionId: "e1", payload: payload)
        let context = TaskContext.standalone(envelope: envelope)
        let task = Task { try await handler.run(context) }
        if let cancelWhen {
            try await eventuallyTrue(cancelWhen)
            task.cancel()
        }
        let result = await task.result
        return (result, context.log.takeLines().map(\.text))
    }

    func eventuallyTrue(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("the condition never held"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func theThreeVerifyTypesAreRegistered() throws {
        let store = try DelegateStore(directory: NSTemporaryDirectory() + "verify-\(UUID().uuidString.prefix(8))")
        let types = Set(ecsHandlers(StepEnvironment(http: HTTPClient(), store: store)).map(\.type))
        #expect(types.isSuperset(of: ["verify.http", "verify.targetHealth", "verify.alarms"]))
    }

    @Test func probesGoThroughConnectToAndPassWithTheVerdictAsOutput() async throws {
        let seen = Seen()
        let s = try await server(seen)
        defer { s.stop() }
        let payload: JSONValue = ["url": "http://verify.example:8080/ok", "requests": 5, "intervalSeconds": 0, "timeoutSeconds": 60, "expectBody": #""status":"ok""#,
                                  "connectTo": .array([.string("verify.example:8080:127.0.0.1:\(port(s))")])]
        let (result, lines) = try await run(.verifyHTTP, payload)
        let outcome = try result.get()
        let verdict = try #require(outcome.outputs["verdict"]?.stringValue)
        #expect(verdict.hasPrefix("5/5 requests answered 200 in ") && verdict.hasSuffix(" s"), "\(verdict)")
        #expect(lines.last == verdict, "the verdict is the step's last line")
        #expect(outcome.outputs["passed"] == 5 && outcome.outputs["total"] == 5)
        #expect(lines.contains("Connecting to verify.example:8080 through 127.0.0.1:\(port(s))"))
        #expect(lines.filter { $0.hasPrefix("probe ") }.count == 5 && lines.contains { $0.hasPrefix("probe 5/5: 200 in ") && $0.hasSuffix(" ms") })
        #expect(seen.hits.load(ordering: .relaxed) == 5)
        #expect(seen.hosts.withLock { $0 } == Array(repeating: "verify.example:8080", count: 5), "the URL's host, not the address connected to")
        #expect(outcome.rollbackSnapshot == nil, "a verification changes nothing")
    }

    @Test func failedProbesFailTheTaskWithTheVerdictAndAreNeverRetried() async throws {
        let seen = Seen()
        let s = try await server(seen)
        defer { s.stop() }
        let (result, lines) = try await run(.verifyHTTP, ["url": .string(s.baseURL + "/flaky"), "requests": 6, "intervalSeconds": 0, "timeoutSeconds": 60])
        guard case .failure(let f as TaskFailure) = result else { Issue.record("expected a TaskFailure, got \(result)"); return }
        #expect(f.status == .failed && f.error.code == "VerificationFailed")
        #expect(f.error.message.hasPrefix("4/6 requests answered 200-399 in ") && f.error.message.hasSuffix(" s (2 answered 500); at least 6 needed"), "\(f.error.message)")
        #expect(lines.last == f.error.message && f.outputs["verdict"] == .string(f.error.message))
        #expect(f.outputs["passed"] == 4 && f.outputs["total"] == 6)
        #expect(lines.contains { $0.hasPrefix("probe 3/6: 500 in ") && $0.hasSuffix(" ms (expected 200-399)") })
        #expect(seen.hits.load(ordering: .relaxed) == 6, "one request per probe: a 500 is not retried")

        let (enough, _) = try await run(.verifyHTTP, ["url": .string(s.baseURL + "/flaky"), "requests": 6, "intervalSeconds": 0, "minSuccessRatio": 0.6, "timeoutSeconds": 60])
        #expect(try enough.get().outputs["passed"] == 4, "4 of 6 pass at 0.6 (3.6 rounded up)")
    }

    @Test func aRefusedConnectionIsAFailedProbe() async throws {
        let (result, lines) = try await run(.verifyHTTP, ["url": "http://127.0.0.1:1/", "requests": 2, "intervalSeconds": 0])
        guard case .failure(let f as TaskFailure) = result else { Issue.record("expected a TaskFailure, got \(result)"); return }
        #expect(lines.contains("probe 1/2: connection refused"))
        #expect(f.error.message.hasPrefix("0/2 requests answered 200-399 in ") && f.error.message.hasSuffix(" (2 failed: connection refused); at least 2 needed"), "\(f.error.message)")
    }

    @Test func cancellationEndsTheStepDuringItsPause() async throws {
        let seen = Seen()
        let s = try await server(seen)
        defer { s.stop() }
        let started = ContinuousClock.now
        let (result, _) = try await run(.verifyHTTP, ["url": .string(s.baseURL + "/ok"), "requests": 3, "intervalSeconds": 60], cancelWhen: { seen.hits.load(ordering: .relaxed) >= 1 })
        guard case .failure(let f as TaskFailure) = result else { Issue.record("expected a cancellation, got \(result)"); return }
        #expect(f.status == .cancelled && f.error.message.hasPrefix("the HTTP verification was cancelled"))
        #expect(seen.hits.load(ordering: .relaxed) == 1)
        #expect(ContinuousClock.now - started < .seconds(50), "it did not sit out the 60 s pause")
    }

    @Test func payloadNumbersOutOfRangeNameTheirMember() async throws {
        let (interval, _) = try await run(.verifyHTTP, ["url": "http://127.0.0.1:1/", "intervalSeconds": 1e300])
        #expect(throws: TaskError(code: "invalid_payload", message: "verify.http: payload member 'intervalSeconds' must be from 0 to 60, got 1e+300")) { try interval.get() }
        let (requests, _) = try await run(.verifyHTTP, ["url": "http://127.0.0.1:1/", "requests": 1e300])
        if case .failure(let e as TaskError) = requests {
            #expect(e.code == "invalid_payload" && e.message.contains("'requests'"), "\(e.message)")
        } else {
            Issue.record("expected invalid_payload, got \(requests)")
        }
        let (alarms, _) = try await run(.verifyAlarms, ["alarmNames": []])
        #expect(throws: TaskError(code: "invalid_payload", message: "verify.alarms: payload member 'alarmNames' must name from 1 to 100 alarms, got 0")) { try alarms.get() }
        let (health, _) = try await run(.verifyTargetHealth, ["cluster": "c"])
        #expect(throws: TaskError(code: "invalid_payload", message: "verify.targetHealth: payload member 'serviceName' or 'targetGroupArn' is required")) { try health.get() }
    }

    @Test func aPatternThatBacktracksWithoutEndGivesUpWithinItsBudget() throws {
        let matcher = HTTPBodyMatcher(expression: try NSRegularExpression(pattern: "(a+)+$"), budget: .milliseconds(200))
        let started = ContinuousClock.now
        #expect(!matcher.matches(Data((String(repeating: "a", count: 40) + "!").utf8)))
        #expect(ContinuousClock.now - started < .seconds(30), "stopped by the budget, not by finishing 2^40 steps")
        #expect(HTTPBodyMatcher(expression: try NSRegularExpression(pattern: "ok")).matches(Data(#"{"status":"ok"}"#.utf8)))
    }
}
