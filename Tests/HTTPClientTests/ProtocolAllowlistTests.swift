import Foundation
import Testing

@testable import HTTPClient

/// libcurl opens nothing but http and https (issue 21): a URL that slipped past every other check still cannot read a file.
@Suite struct ProtocolAllowlistTests {
    @Test(arguments: ["file:///etc/passwd", "gopher://127.0.0.1:1/_x", "dict://127.0.0.1:1/x", "ftp://127.0.0.1:1/x", "ldap://127.0.0.1:1/", "scp://127.0.0.1/etc/passwd"])
    func otherSchemesAreRefusedBeforeAnythingIsOpened(url: String) async {
        let http = HTTPClient()
        defer { http.shutdown() }
        do {
            let r = try await http.send(HTTPClientRequest(url: url, timeout: .seconds(5)))
            Issue.record("\(url) answered \(r.status) with \(r.body.count) bytes")
        } catch let e as HTTPClientError {
            #expect(e.kind == .invalidRequest, "\(url): \(e)")
        } catch {
            Issue.record("\(url): \(error)")
        }
    }
}
