import DelegateProtocol
import Foundation
import ManagerCore
import Testing

/// Connector URLs the manager stores are http(s) only (issue 21): the delegate checks again, and libcurl opens nothing else.
extension ConnectorFileTests {
    @Test(arguments: ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "dict://127.0.0.1:2628/x", "http://user:pw@127.0.0.1:4566"])
    func awsEndpointsOtherThanHTTPAreRefusedAtTheirLine(endpoint: String) {
        let text = "name: a\ntype: aws\nregion: us-east-1\nendpoint: \"\(endpoint)\"\ncredentials: {kind: delegate}\n"
        let found = problems(text)
        #expect(found.count == 1 && found.first?.hasPrefix("c.yaml:4:11: endpoint: ") == true, "\(found)")
    }

    @Test func registryURLsAndTokenHostsAreChecked() {
        #expect(problems("name: r\ntype: dockerRegistry\nurl: \"file:///etc/passwd\"\n").first?.hasPrefix("c.yaml:3:6: url: must be an http or https URL") == true)
        let hosts = problems("name: r\ntype: dockerRegistry\nurl: https://r.example.com\ntokenHosts: [auth.docker.io, \"https://x\"]\n")
        #expect(hosts.count == 1 && hosts.first?.contains("tokenHosts[1]: must be a bare host name") == true, "\(hosts)")
        let ok = try? ConnectorFile.parse("name: r\ntype: dockerRegistry\nurl: https://registry-1.docker.io\ntokenHosts: [auth.docker.io]\n", file: "c.yaml")
        #expect(ok?.tokenHosts == ["auth.docker.io"])
        let wire = try? ok.map { try JSONValue(encoding: $0.resolved { $0 }.connector) }
        #expect(wire?["dockerRegistry"]?["tokenHosts"] == ["auth.docker.io"])
    }
}
