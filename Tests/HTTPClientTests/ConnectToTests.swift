import Foundation
import HTTPClient
import Hummingbird
import Testing
import TestSupport

/// `HTTPClientRequest.connectTo` (libcurl's CURLOPT_CONNECT_TO): the connection goes elsewhere, the request stays as written.
@Suite struct ConnectToTests {
    @Test func aMappedHostIsReachedAtTheOtherAddressWithItsOwnHostHeader() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("who") { req, _ in req.head.authority ?? "-" }
        }
        defer { server.stop() }
        let port = String(server.baseURL.split(separator: ":").last ?? "0")
        let client = HTTPClient()
        var request = HTTPClientRequest(url: "http://stage.lb.invalid:8080/who", timeout: .seconds(60))
        request.connectTo = ["stage.lb.invalid:8080:127.0.0.1:\(port)"]
        for _ in 0..<3 {  // the list is freed and made again with each transfer
            let r = try await client.send(request)
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == "stage.lb.invalid:8080")
        }
        #expect(client.held.live == 0 && client.held.cancellations == 0)
    }

    @Test func aMappingForAnotherHostOrPortLeavesTheRequestAlone() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("who") { req, _ in req.head.authority ?? "-" }
        }
        defer { server.stop() }
        let client = HTTPClient()
        var request = HTTPClientRequest(url: server.baseURL + "/who", timeout: .seconds(60))
        request.connectTo = ["other.invalid:80:127.0.0.1:1", "127.0.0.1:1:127.0.0.1:2"]
        let r = try await client.send(request)
        #expect(r.status == 200)

        // The same name without a mapping is not reachable: the mapping above did the work.
        do {
            _ = try await client.send(HTTPClientRequest(url: "http://stage.lb.invalid:8080/who", timeout: .seconds(5)))
            Issue.record("an unmapped .invalid host answered")
        } catch let e as HTTPClientError {
            #expect(e.kind == .connect || e.kind == .timeout, "\(e)")
        }
    }

    @Test func anEntryLibcurlCannotHoldIsRefusedBeforeAnyTransfer() async throws {
        let client = HTTPClient()
        var request = HTTPClientRequest(url: "http://127.0.0.1:1/", timeout: .seconds(5))
        request.connectTo = ["a:1:b\u{0}c:2"]
        do {
            _ = try await client.send(request)
            Issue.record("expected a refusal")
        } catch let e as HTTPClientError {
            #expect(e.kind == .invalidRequest)
        }
    }
}
