import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerCore
import Manifests
import Testing

/// Notifier files: the documented format, and every problem at file:line:column.
@Suite struct NotifierFileTests {
    static let example = """
        name: deploys-channel
        url: https://hooks.example.com/services/T000/B000/XXXX
        events: [started, waiting, succeeded, failed, rolledBack]
        format: slack          # or json (the default)
        secretName: hook-hmac  # optional: signs each delivery (X-Signature-256)
        """

    /// The problems `text` has, as `file:line:column: ...` lines.
    func problems(_ text: String) -> [String] {
        do {
            _ = try NotifierFile.parse(text, file: "n.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func theDocumentedExampleReads() throws {
        #expect(try NotifierFile.parse(Self.example, file: "n.yaml") == NotifierSpec(
            name: "deploys-channel", url: "https://hooks.example.com/services/T000/B000/XXXX", events: NotificationEvent.allCases, format: .slack,
            secretName: "hook-hmac"))
        // The format defaults to json, and a repeated event counts once.
        #expect(try NotifierFile.parse("name: n\nurl: http://127.0.0.1:8/x\nevents: [failed, failed]\n", file: "n.yaml")
            == NotifierSpec(name: "n", url: "http://127.0.0.1:8/x", events: [.failed], format: .json))
    }

    @Test func problemsAreReportedWhereTheyAre() {
        #expect(problems(Self.example.replacingOccurrences(of: "rolledBack]", with: "rolledback]")).contains {
            $0.hasPrefix("n.yaml:3:") && $0.contains("must be one of started, waiting, succeeded, failed, rolledBack, got 'rolledback'")
        })
        #expect(problems(Self.example.replacingOccurrences(of: "format: slack ", with: "format: teams ")).contains { $0.hasPrefix("n.yaml:4:9: format: must be one of json, slack") })
        #expect(problems(Self.example + "\nretries: 3\n").contains { $0.hasPrefix("n.yaml:6:1: retries: unknown member 'retries'") })
        #expect(problems("name: n\nurl: http://127.0.0.1:8/x\n").contains { $0.contains("missing required member 'events'") })
        #expect(problems("name: n\nurl: http://127.0.0.1:8/x\nevents: []\n").contains { $0.contains("must list at least one event") })
        #expect(problems("").first?.contains("empty") == true)
    }

    @Test func aURLMustBeHTTPAndNeverInstanceMetadata() {
        for url in ["file:///etc/passwd", "gopher://x/", "http://169.254.169.254/latest/meta-data/", "http://user:pw@example.com/", "-oProxyCommand=x", "ftp://x/"] {
            #expect(problems("name: n\nurl: '\(url)'\nevents: [failed]\n").contains { $0.hasPrefix("n.yaml:2:6: url:") }, "\(url)")
        }
        #expect(problems("name: n\nurl: http://h/\(String(repeating: "a", count: 3000))\nevents: [failed]\n").contains { $0.contains("at most 2048") })
    }
}
