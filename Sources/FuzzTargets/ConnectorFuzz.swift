import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerCore
import Manifests

/// Reads the input as a connector file (`ConnectorFile.parse`), as `ecs-manager connector apply` and the manager's PUT do.
///
/// A connector that reads must hold only URLs the delegate would accept
/// (`URLRules.connectorURLProblem`), names within the rules, and survive its
/// own JSON; one that does not read must name at least one problem.
public func fuzzConnector(_ bytes: [UInt8]) {
    do {
        let c = try ConnectorFile.parse(text(bytes), file: "fuzz.yaml")
        for url in [c.endpoint, c.url].compactMap({ $0 }) {
            fuzzCheck(URLRules.connectorURLProblem(url) == nil, "connector \(c.name) holds a URL the delegate refuses: \(url.prefix(200))")
        }
        fuzzCheck(Identifiers.textProblem(c.name, maxBytes: 1024) == nil, "connector name \(c.name.debugDescription)")
        for s in c.delegateSelectors { fuzzCheck(Identifiers.tagProblem(s) == nil, "selector \(s.debugDescription)") }
        for h in c.tokenHosts ?? [] { fuzzCheck(RegistryTokenHosts.hostProblem(h) == nil, "token host \(h.debugDescription)") }
        let encoded = (try? JSONEncoder().encode(c)) ?? Data()
        fuzzCheck((try? JSONDecoder().decode(Connector.self, from: encoded)) == c, "the connector changes when its JSON is read back")
    } catch {
        fuzzCheck(!error.errors.isEmpty, "parse threw ManifestErrors without a problem")
        _ = error.description
    }
}
