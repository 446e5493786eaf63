import Foundation
import HTTPClient
import Hummingbird
import Logging
import Testing
import TestSupport

actor Counter {
    var value = 0
    var peak = 0
    var current = 0
    func enter() { current += 1; peak = max(peak, current); value += 1 }
    func leave() { current -= 1 }
}

@Suite(.serialized) struct HTTPClientTests {
    @Test func hundredConcurrentRequestsOnOneLoop() async throws {
        let counter = Counter()
        let server = try await LoopbackServer.start { r in
            r.get("slow/:n") { _, ctx in
                await counter.enter()
                // Long enough that all 100 overlap even when the machine is busy starting them (300 ms, then 1.5 s, were not, under load).
                try await Task.sleep(for: .seconds(3))
                await counter.leave()
                return try ctx.parameters.require("n")
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<100 {
                group.addTask {
                    let r = try await client.send(HTTPClientRequest(url: "\(server.baseURL)/slow/\(i)"))
                    #expect(r.status == 200)
                    return String(decoding: r.body, as: UTF8.self)
                }
            }
            var all: [String] = []
            for try await b in group { all.append(b) }
            return all
        }
        #expect(Set(bodies) == Set((0..<100).map(String.init)))
        // All 100 were in flight together, not serialized behind each other.
        #expect(await counter.peak >= 50)
    }

    @Test func timeoutFailsTheRequest() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("hang") { _, _ in
                try await Task.sleep(for: .seconds(30))
                return "late"
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        do {
            _ = try await client.send(HTTPClientRequest(url: "\(server.baseURL)/hang", timeout: .milliseconds(300)))
            Issue.record("expected a timeout")
        } catch let e as HTTPClientError {
            #expect(e.kind == .timeout)
            #expect(e.isTransient)
        }
    }

    @Test func cancellationAbortsTheTransfer() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("hang") { _, _ in
                try await Task.sleep(for: .seconds(30))
                return "late"
            }
            r.get("quick") { _, _ in "ok" }
        }
        defer { server.stop() }
        let client = HTTPClient()
        let task = Task { try await client.send(HTTPClientRequest(url: "\(server.baseURL)/hang", timeout: .seconds(60))) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        switch result {
        case .success: Issue.record("expected cancellation")
        case .failure(let e): #expect(e is CancellationError)
        }
        // The client still works after a cancellation.
        let ok = try await client.send(HTTPClientRequest(url: "\(server.baseURL)/quick"))
        #expect(String(decoding: ok.body, as: UTF8.self) == "ok")
    }

    @Test func tenMegabyteBodiesBothWays() async throws {
        let server = try await LoopbackServer.start { r in
            r.post("echo") { req, _ -> ByteBuffer in
                try await req.body.collect(upTo: 20 << 20)
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        var body = Data(count: 10 << 20)
        for i in stride(from: 0, to: body.count, by: 4096) { body[i] = UInt8(truncatingIfNeeded: i / 4096) }
        let r = try await client.send(HTTPClientRequest(method: "POST", url: "\(server.baseURL)/echo", headers: [("Content-Type", "application/octet-stream")], body: body))
        #expect(r.status == 200)
        #expect(r.body.count == body.count)
        #expect(r.body == body)
    }

    @Test func responseLargerThanTheLimitFails() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("big") { _, _ in ByteBuffer(repeating: 65, count: 2 << 20) }
        }
        defer { server.stop() }
        var config = HTTPClientConfiguration()
        config.maxResponseBytes = 1 << 20
        let client = HTTPClient(configuration: config)
        await #expect(throws: HTTPClientError.self) {
            _ = try await client.send(HTTPClientRequest(url: "\(server.baseURL)/big"))
        }
    }

    @Test func serverClosingMidResponseIsATransportError() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("partial") { _, _ in
                Response(status: .ok, body: ResponseBody(contentLength: 100_000) { writer in
                    try await writer.write(ByteBuffer(repeating: 66, count: 1000))
                    throw CancellationError()
                })
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        do {
            _ = try await client.send(HTTPClientRequest(url: "\(server.baseURL)/partial", timeout: .seconds(10)))
            Issue.record("expected a transport error")
        } catch let e as HTTPClientError {
            #expect(e.kind == .transport)
            #expect(e.isTransient)
        }
    }

    @Test func connectionRefusedIsAConnectError() async throws {
        let client = HTTPClient()
        do {
            _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:1/x", timeout: .seconds(5)))
            Issue.record("expected a connect error")
        } catch let e as HTTPClientError {
            #expect(e.kind == .connect)
            #expect(e.message.hasSuffix("(Connection refused)"), "the OS's reason is named: \(e.message)")
        }
    }

    @Test func requestsOverAUnixSocket() async throws {
        let path = NSTemporaryDirectory() + "httpclient-\(UUID().uuidString.prefix(8)).sock"
        let server = try await LoopbackServer.start(unixSocket: path) { r in
            r.get("v1/status") { req, _ in "hello \(req.headers[.userAgent] ?? "")" }
        }
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: path)
        }
        let client = HTTPClient()
        let r = try await client.send(HTTPClientRequest(url: "http://localhost/v1/status", unixSocketPath: path))
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self) == "hello ecs-delegate")
    }

    @Test func headersAndMethodsArriveAsSent() async throws {
        let server = try await LoopbackServer.start { r in
            r.put("thing") { req, _ -> String in
                let body = try await req.body.collect(upTo: 1000)
                return "\(req.method.rawValue) \(req.headers.first { $0.name.rawName == "X-Test" }?.value ?? "-") \(String(buffer: body))"
            }
            r.delete("thing") { _, _ in Response(status: .noContent) }
            r.post("type") { req, _ in req.headers[.contentType] ?? "none" }
        }
        defer { server.stop() }
        let client = HTTPClient()
        let r = try await client.send(HTTPClientRequest(method: "PUT", url: "\(server.baseURL)/thing", headers: [("X-Test", "yes")], body: Data("abc".utf8)))
        #expect(String(decoding: r.body, as: UTF8.self) == "PUT yes abc")
        #expect(r.header("content-length") == "11")
        let d = try await client.send(HTTPClientRequest(method: "DELETE", url: "\(server.baseURL)/thing"))
        #expect(d.status == 204)
        // A body without a type is not sent as a form (libcurl's default).
        let t = try await client.send(HTTPClientRequest(method: "POST", url: "\(server.baseURL)/type", body: Data("x".utf8)))
        #expect(String(decoding: t.body, as: UTF8.self) == "none")
    }
}
