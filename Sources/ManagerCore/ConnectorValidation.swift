import DelegateProtocol
import Foundation
import ManagerAPI

extension Connector {
    /// The connector a JSON object describes, or every problem in it: unknown and missing members, wrong types, bad values.
    ///
    /// The one validation both the REST API (JSON) and `connector apply` (YAML, with line and column) use.
    public static func parse(_ json: JSONValue) throws(MemberProblems) -> Connector {
        try MemberReader.parse(json) { $0.connector() }
    }
}

extension MemberReader {
    /// The connector this top-level object describes.
    func connector() -> Connector? {
        let common = ["name", "type", "delegateSelectors", "description"]
        let awsMembers = ["region", "endpoint", "credentials"]
        let registryMembers = ["url", "username", "passwordSecret", "ecrConnector", "tokenHosts"]
        let name = string("name", required: true, rule: ResourceName.problem)
        let type = choice("type", Connector.Kind.self)
        let selectors = tags("delegateSelectors")
        let description = string("description", required: false) { ConnectorRules.text($0, maxBytes: 1024) }
        guard let type else {
            rejectUnknown(common + awsMembers + registryMembers, context: "of a connector")
            return nil
        }
        switch type {
        case .aws:
            rejectUnknown(common + awsMembers, context: "of an aws connector")
            let region = string("region", required: true, rule: ConnectorRules.region)
            let endpoint = string("endpoint", required: false, rule: ConnectorRules.url)
            let credentials = object["credentials"].flatMap { MemberReader($0, path: at("credentials"), sink: sink)?.credentials() }
            if object["credentials"] == nil { sink.add(path, "missing required member 'credentials'") }
            guard let name, let region, let credentials else { return nil }
            return Connector(name: name, type: .aws, region: region, endpoint: endpoint, credentials: credentials, delegateSelectors: selectors, description: description)
        case .dockerRegistry:
            rejectUnknown(common + registryMembers, context: "of a dockerRegistry connector")
            let url = string("url", required: true, rule: ConnectorRules.url)
            // Anonymous (neither) or a login (both): a user name without a password secret is a mistake, not a choice.
            let username = string("username", required: false) { ConnectorRules.text($0, maxBytes: 256) }
            let password = string("passwordSecret", required: false, rule: ResourceName.problem)
            let ecr = string("ecrConnector", required: false, rule: ResourceName.problem)
            if (object["username"] == nil) != (object["passwordSecret"] == nil) {
                sink.add(path, "give both 'username' and 'passwordSecret' (a registry login), or neither (anonymous)")
            }
            if object["ecrConnector"] != nil, object["username"] != nil || object["passwordSecret"] != nil {
                sink.add(path, "give either 'ecrConnector' (ECR's token supplies the login) or 'username' and 'passwordSecret', not both")
            }
            let tokenHosts = strings("tokenHosts", what: "host names", max: RegistryTokenHosts.maxHosts, rule: RegistryTokenHosts.hostProblem)
            guard let name, let url else { return nil }
            var connector = Connector(name: name, type: .dockerRegistry, url: url, username: username, passwordSecret: password, ecrConnector: ecr, delegateSelectors: selectors, description: description)
            connector.tokenHosts = tokenHosts.isEmpty ? nil : tokenHosts
            return connector
        }
    }

    /// The credentials this object describes.
    func credentials(depth: Int = 0) -> ConnectorCredentials? {
        let staticMembers = ["accessKeyIdSecret", "secretAccessKeySecret", "sessionTokenSecret"]
        let roleMembers = ["roleArn", "externalId", "sessionName", "source"]
        guard let kind = choice("kind", ConnectorCredentials.Kind.self) else {
            rejectUnknown(["kind"] + staticMembers + roleMembers, context: "of credentials")
            return nil
        }
        switch kind {
        case .static:
            rejectUnknown(["kind"] + staticMembers, context: "of static credentials")
            let id = string("accessKeyIdSecret", required: true, rule: ResourceName.problem)
            let key = string("secretAccessKeySecret", required: true, rule: ResourceName.problem)
            let token = string("sessionTokenSecret", required: false, rule: ResourceName.problem)
            guard let id, let key else { return nil }
            return ConnectorCredentials(kind: .static, accessKeyIdSecret: id, secretAccessKeySecret: key, sessionTokenSecret: token)
        case .delegate:
            rejectUnknown(["kind"], context: "of delegate credentials (the delegate host's own chain)")
            return ConnectorCredentials(kind: .delegate)
        case .assumeRole:
            rejectUnknown(["kind"] + roleMembers, context: "of assumeRole credentials")
            let role = string("roleArn", required: true, rule: ConnectorRules.roleArn)
            let externalId = string("externalId", required: false) { ConnectorRules.text($0, maxBytes: 1224) }
            let session = string("sessionName", required: false) { ConnectorRules.text($0, maxBytes: 64) }
            var source: ConnectorCredentials?
            if let s = object["source"] {
                if depth >= 4 {
                    sink.add(at("source"), "assumeRole sources nest at most 4 deep")
                } else {
                    source = MemberReader(s, path: at("source"), sink: sink)?.credentials(depth: depth + 1)
                    if source == nil { return nil }
                }
            }
            guard let role else { return nil }
            return ConnectorCredentials(kind: .assumeRole, roleArn: role, externalId: externalId, sessionName: session, source: source)
        }
    }
}

/// The value rules of connector members.
enum ConnectorRules {
    /// One line of text: non-empty, at most `maxBytes`, no control characters.
    static func text(_ s: String, maxBytes: Int) -> String? {
        Identifiers.textProblem(s, maxBytes: maxBytes)
    }

    /// An AWS region: lower-case letters, digits and '-', e.g. `us-east-1`.
    static func region(_ s: String) -> String? {
        let ok = !s.isEmpty && s.utf8.count <= 32 && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        return ok ? nil : "must be an AWS region such as us-east-1 (lower-case letters, digits and '-')"
    }

    /// An http or https URL with a host, without white space, credentials or a link-local host (`URLRules`, the delegate's own check).
    static func url(_ s: String) -> String? {
        URLRules.connectorURLProblem(s)
    }

    /// A role ARN: `arn:...:role/...`.
    static func roleArn(_ s: String) -> String? {
        if let why = text(s, maxBytes: 2048) { return why }
        return s.hasPrefix("arn:") && s.contains(":role/") ? nil : "must be a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
    }
}
