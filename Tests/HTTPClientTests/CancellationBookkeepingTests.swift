import Foundation
import HTTPClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whatever moment a request is cancelled at (before it is sent, in flight, as its answer arrives), the client keeps nothing for it afterwards.
@Suite struct CancellationBookkeepingTests {
    /// A loopback port that takes connections into its backlog and never answers: every request there ends by its own timeout.
    final class SilentPort: Sendable {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1024) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else {
                close(fd)
                throw POSIXError(.EADDRINUSE)
            }
            self.fd = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    @Test func cancelledAndTimedOutRequestsLeaveNothingHeld() async throws {
        let silent = try SilentPort()
        let url = "http://127.0.0.1:\(silent.port)/"
        let client = HTTPClient()
        defer { client.shutdown() }
        var timedOut = 0
        var cancelled = 0
        for round in 0..<10 {
            let requests = (0..<40).map { i in
                Task { () -> Bool in
                    do {
                        _ = try await client.send(HTTPClientRequest(url: url, timeout: .milliseconds(5 + (i * 7 + round) % 20)))
                        Issue.record("a request to a port that never answers was answered")
                        return false
                    } catch let e as HTTPClientError {
                        #expect(e.kind == .timeout, "\(e)")
                        return true
                    } catch {
                        #expect(error is CancellationError, "\(error)")
                        return false
                    }
                }
            }
            // Cancel every request at a different moment: some before they are sent, some in flight, some just timed out.
            for (i, request) in requests.enumerated() {
                if i % 3 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                request.cancel()
            }
            for request in requests {
                if await request.value { timedOut += 1 } else { cancelled += 1 }
            }
        }
        #expect(timedOut + cancelled == 400)
        withExtendedLifetime(silent) {}
        #expect(client.held.live == 0, "every request was answered or cancelled")
        #expect(client.held.cancellations == 0, "no cancellation of an answered request is kept")
    }
}
