import DelegateProtocol
import Foundation
import HTTPClient
import ManagerClient
import ManagerCore
import Synchronization
import Testing

/// A client with several manager URLs: a call that gets no answer moves the client on, and the retry reaches the next replica.
@Suite struct ManagerClientFailoverTests {
    @Test func aRefusedConnectionMovesToTheNextURLAndTheRetryIsAnswered() async throws {
        let m = try await LiveManager.start()
        defer { Task { await m.stop() } }
        // Port 1 on loopback: nothing listens there, the connection is refused.
        let client = ManagerClient(baseURLs: ["http://127.0.0.1:1/", m.url], token: m.token, http: m.http)
        let moves = Mutex<[String]>([])
        client.endpoints.onMove { from, to, _ in moves.withLock { $0.append("\(from) -> \(to)") } }
        #expect(client.baseURL == "http://127.0.0.1:1")
        await #expect(throws: ManagerClientError.self) { _ = try await client.delegates() }
        #expect(client.baseURL == m.url)
        #expect(try await client.delegates().isEmpty)
        #expect(moves.withLock { $0 } == ["http://127.0.0.1:1 -> \(m.url)"])
        // An error the manager answers is not a reason to move.
        await #expect(throws: ManagerClientError.self) { _ = try await client.task("task-none") }
        #expect(client.endpoints.moves == 1 && client.baseURL == m.url)
    }

    @Test func callsFailingTogetherOnOneURLMoveItOnOnce() async throws {
        let endpoints = ManagerEndpoints(urls: ["http://a", "http://b", "http://c"])
        let first = endpoints.current
        endpoints.failed(first, why: "refused")
        endpoints.failed(first, why: "refused")  // a second call that was in flight to the same URL
        #expect(endpoints.current.url == "http://b" && endpoints.moves == 1)
        endpoints.failed(endpoints.current, why: "reset")
        endpoints.failed(endpoints.current, why: "reset")
        #expect(endpoints.current.url == "http://a", "round the list and back to the first")
        let single = ManagerEndpoints(urls: ["http://only"])
        single.failed(single.current, why: "refused")
        #expect(single.moves == 0)
    }
}
