import Foundation
import HTTPClient
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/2 server over TLS (nghttpd, Debian's nghttp2-server) serving one file.
final class H2Server: @unchecked Sendable {
    let process = Process()
    let port = freeLoopbackPort()
    init(pki: TestPKI, requireClientCert: Bool) throws {
        try FileManager.default.createDirectory(atPath: pki.dir + "/htdocs", withIntermediateDirectories: true)
        try "hello over h2\n".write(toFile: pki.dir + "/htdocs/hello.txt", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nghttpd")
        process.arguments = ["-a", "127.0.0.1", "-d", pki.dir + "/htdocs"] + (requireClientCert ? ["-V"] : []) + ["\(port)", pki.dir + "/server.key", pki.dir + "/server.pem"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
    deinit {
        // nghttpd does not stop on SIGTERM while it holds connections.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd"), "needs nghttp2-server (scripts/install-deps.sh installs it)"))
struct TLSTests {
    /// Retries while the freshly started server is not yet listening.
    func get(_ client: HTTPClient, _ url: String) async throws -> HTTPClientResponse {
        var last: Error?
        for _ in 0..<50 {
            do { return try await client.send(HTTPClientRequest(url: url, timeout: .seconds(5))) } catch let e as HTTPClientError where e.kind == .connect {
                last = e
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw last ?? CancellationError()
    }

    @Test func httpsWithACustomCAFileUsesHTTP2() async throws {
        let pki = try TestPKI()
        let server = try H2Server(pki: pki, requireClientCert: false)
        var config = HTTPClientConfiguration()
        config.caFile = pki.dir + "/ca.pem"
        let r = try await get(HTTPClient(configuration: config), "https://127.0.0.1:\(server.port)/hello.txt")
        #expect(r.status == 200)
        #expect(r.httpVersion == 2)
        #expect(String(decoding: r.body, as: UTF8.self) == "hello over h2\n")
        // Without the CA the server's certificate is not trusted.
        await #expect(throws: HTTPClientError.self) { _ = try await HTTPClient().send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/hello.txt", timeout: .seconds(5))) }
    }

    @Test func clientCertificateIsPresentedForMutualTLS() async throws {
        let pki = try TestPKI()
        let server = try H2Server(pki: pki, requireClientCert: true)
        var withCert = HTTPClientConfiguration()
        withCert.caFile = pki.dir + "/ca.pem"
        withCert.clientCertificateFile = pki.dir + "/client.pem"
        withCert.clientKeyFile = pki.dir + "/client.key"
        let r = try await get(HTTPClient(configuration: withCert), "https://127.0.0.1:\(server.port)/hello.txt")
        #expect(r.status == 200)
        var without = HTTPClientConfiguration()
        without.caFile = pki.dir + "/ca.pem"
        await #expect(throws: HTTPClientError.self) { _ = try await HTTPClient(configuration: without).send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/hello.txt", timeout: .seconds(5))) }
    }
}

@Suite struct ProxyTests {
    @Test func requestsGoThroughTheConfiguredProxy() async throws {
        let port = freeLoopbackPort()
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = ("proxied " + self.path).encode()
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
                def log_message(self, *a): pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proxy.arguments = ["python3", "-c", script, "\(port)"]
        try proxy.run()
        defer {
            kill(proxy.processIdentifier, SIGKILL)
            proxy.waitUntilExit()
        }
        var config = HTTPClientConfiguration()
        config.proxy = "http://127.0.0.1:\(port)"
        let client = HTTPClient(configuration: config)
        var response: HTTPClientResponse?
        for _ in 0..<50 where response == nil {
            response = try? await client.send(HTTPClientRequest(url: "http://manager.example.internal:8181/v1/health", timeout: .seconds(5)))
            if response == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        // The proxy saw the absolute URL: the request went through it, not to the (unresolvable) host.
        #expect(response.map { String(decoding: $0.body, as: UTF8.self) } == "proxied http://manager.example.internal:8181/v1/health")
    }
}
