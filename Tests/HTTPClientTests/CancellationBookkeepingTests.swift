import Foundation
import HTTPClient
import Hummingbird
import Testing
import TestSupport

/// Whatever moment a request is cancelled at (before it is sent, in flight, as its answer arrives), the client keeps nothing for it afterwards.
@Suite struct CancellationBookkeepingTests {
    @Test func cancelledAndAnsweredRequestsLeaveNothingHeld() async throws {
        let server = try await LoopbackServer.start { r in
            r.get("wait/:ms") { _, ctx in
                let ms = Int(try ctx.parameters.require("ms")) ?? 0
                try await Task.sleep(for: .milliseconds(ms))
                return "ok"
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        var answered = 0
        var cancelled = 0
        for round in 0..<10 {
            let requests = (0..<40).map { i in
                Task { () -> Bool in
                    do {
                        _ = try await client.send(HTTPClientRequest(url: "\(server.baseURL)/wait/\((i * 7 + round) % 20)"))
                        return true
                    } catch {
                        #expect(error is CancellationError, "\(error)")
                        return false
                    }
                }
            }
            // Cancel every request at a different moment: some before they are sent, some waiting, some just answered.
            for (i, request) in requests.enumerated() {
                if i % 3 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                request.cancel()
            }
            for request in requests {
                if await request.value { answered += 1 } else { cancelled += 1 }
            }
        }
        // The server's handlers of cancelled requests sleep at most 19 ms: let them answer before the server stops,
        // which would otherwise tear down their response writers mid-request.
        try await Task.sleep(for: .milliseconds(200))
        #expect(answered + cancelled == 400)
        #expect(client.held.live == 0, "every request was answered or cancelled")
        #expect(client.held.cancellations == 0, "no cancellation of an answered request is kept")
    }
}
