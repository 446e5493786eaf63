import AWSServices
import DelegateProtocol
import Foundation
import StepContracts

/// A Docker registry connector as a task carries it: the registry's URL and how to sign in.
///
/// ```
/// {"dockerRegistry": {"url": "http://127.0.0.1:5000",
///                     "username": "...", "password": "...",          (optional: basic or token auth)
///                     "ecr": {"region": "...", "endpoint": "...",   (optional: ECR private registries;
///                             "credentials": {...}}}}               the AWS connector's members)
/// ```
/// With `ecr`, the basic credentials come from `ecr:GetAuthorizationToken`
/// signed with those AWS credentials, and no username or password is given.
package struct RegistryConnector: Sendable {
    /// The registry's base URL without a trailing slash, e.g. `http://127.0.0.1:5000`.
    package var url: String
    /// The user for basic auth and token requests, if any.
    package var username: String?
    /// The password, if any (never logged).
    package var password: String?
    /// The AWS connector whose credentials fetch an ECR authorization token, if any.
    package var ecr: AWSConnector?
    /// Hosts besides the registry's that may receive the login as token servers (`RegistryTokenHosts`).
    package var tokenHosts: [String] = []

    /// The longest URL, user name or password accepted.
    static let maxURLBytes = 2048
    /// The longest user name or password accepted.
    static let maxCredentialBytes = 4096

    /// Reads the registry member of a task's connector; a `TaskError` (`invalid_connector`) names what is missing or wrong.
    package init(_ form: RegistryConnectorForm?) throws {
        func invalid(_ message: String) -> TaskError {
            TaskError(code: "invalid_connector", message: message)
        }
        guard let registry = form else {
            throw invalid("the task has no Docker registry connector (connector.dockerRegistry with url)")
        }
        guard let url = registry.url, !url.isEmpty else {
            throw invalid("connector.dockerRegistry.url is missing")
        }
        if let why = Self.urlProblem(url) { throw invalid("connector.dockerRegistry.url \(why)") }
        // The tutorial writes Docker Hub as https://registry.hub.docker.com/v2/: the API root is the client's to add.
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        if base.lowercased().hasSuffix("/v2") { base.removeLast(3) }
        while base.hasSuffix("/") { base.removeLast() }
        self.url = base
        if let list = registry.tokenHosts {
            guard list.count <= RegistryTokenHosts.maxHosts else {
                throw invalid("connector.dockerRegistry.tokenHosts must be a list of at most \(RegistryTokenHosts.maxHosts) host names")
            }
            for (i, host) in list.enumerated() {
                if let why = RegistryTokenHosts.hostProblem(host) { throw invalid("connector.dockerRegistry.tokenHosts[\(i)] \(why)") }
                tokenHosts.append(host)
            }
        }
        username = try Self.credential(registry.username, "username")
        password = try Self.credential(registry.password, "password")
        if password != nil, username == nil {
            throw invalid("connector.dockerRegistry.password is given without a username")
        }
        if let ecr = registry.ecr {
            if username != nil || password != nil {
                throw invalid("connector.dockerRegistry takes either ecr or username/password, not both (ECR's token supplies the credentials)")
            }
            self.ecr = try AWSConnector(ecr, member: "connector.dockerRegistry.ecr")
        } else {
            ecr = nil
        }
    }

    /// Reads the connector of a task as it arrives in the envelope (`TaskConnector.parsed`, then `init(_:)` on its registry member).
    package init(_ connector: JSONValue?) throws {
        try self.init(try TaskConnector.parsed(connector).dockerRegistry)
    }

    /// Secret values in the connector (the password, ECR's AWS keys), for the task's log masker.
    package static func secrets(in connector: JSONValue?) -> [String] {
        (try? TaskConnector(parsing: connector))?.dockerRegistry?.secretValues ?? []
    }

    /// Why `url` is not a registry URL (nil when it is one): an http(s) URL by `URLRules`, without query or fragment.
    static func urlProblem(_ url: String) -> String? {
        if let why = URLRules.connectorURLProblem(url) { return why }
        if let c = URLComponents(string: url), c.query != nil || c.fragment != nil { return "must not carry a query or fragment" }
        return nil
    }

    /// A user name or password member: absent, or a non-empty string within bounds without control characters.
    private static func credential(_ value: String?, _ member: String) throws -> String? {
        guard let s = value else { return nil }
        if s.isEmpty { return nil }
        if s.utf8.count > maxCredentialBytes {
            throw TaskError(code: "invalid_connector", message: "connector.dockerRegistry.\(member) is longer than \(maxCredentialBytes) bytes")
        }
        if s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw TaskError(code: "invalid_connector", message: "connector.dockerRegistry.\(member) must not contain control characters")
        }
        if member == "username", s.contains(":") {
            throw TaskError(code: "invalid_connector", message: "connector.dockerRegistry.username must not contain ':' (basic auth cannot carry it)")
        }
        return s
    }
}
