import DelegateRuntime
import Foundation
import Testing

/// `manager_urls`: several manager replicas in delegate.yaml, beside the single `manager_url`.
@Suite struct ManagerURLsConfigTests {
    func load(_ text: String, environment: [String: String] = [:]) throws -> DelegateConfig {
        try loadConfig(text, environment: environment)
    }

    /// The problems loading `text` reports, as one text.
    func problems(_ text: String) -> String {
        do {
            _ = try load(text)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func aListOfURLsIsTriedInOrderAndTheFirstIsTheManagerURL() throws {
        let c = try load("""
            manager_urls:
              - http://10.0.0.1:8181
              - https://manager-b.internal:8443/
            """)
        #expect(c.managerEndpoints == ["http://10.0.0.1:8181", "https://manager-b.internal:8443/"])
        #expect(c.managerURL == "http://10.0.0.1:8181")
        #expect(try load("manager_url: http://one:1").managerEndpoints == ["http://one:1"], "manager_url alone still works")
        #expect(try load("", environment: ["ECS_DELEGATE_MANAGER_URLS": "http://a:1, http://b:2"]).managerEndpoints == ["http://a:1", "http://b:2"])
    }

    @Test func badListsAreRefusedNamingTheItem() {
        #expect(problems("manager_urls: [http://a:1, ftp://b]").contains("manager_urls[1]: must be a URL starting with http:// or https://, got 'ftp://b'"))
        #expect(problems("manager_urls: []").contains("expected a list of 1 to 16 URL strings"))
        #expect(problems("manager_urls: http://a:1").contains("expected a list of 1 to 16 URL strings"))
        let many = (0..<17).map { "http://m\($0):1" }.joined(separator: ", ")
        #expect(problems("manager_urls: [\(many)]").contains("1 to 16"))
        #expect(problems("manager_url: http://a:1\nmanager_urls: [http://b:1]").contains("give manager_url or manager_urls, not both"))
    }
}
