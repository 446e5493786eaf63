import DelegateProtocol
import Foundation
import ManagerAPI

/// One thing wrong with a connector: the member's path (e.g. `credentials.roleArn`) and what is wrong.
public struct ConnectorProblem: Sendable, Equatable {
    /// Where: the member, or for a missing member the object that lacks it ("" is the top level).
    public var path: String
    /// Whether `path` names a member that should not be there (the key itself is at fault).
    public var isUnknownMember: Bool
    /// What is wrong.
    public var message: String
}

/// Every problem found in one connector.
public struct ConnectorProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConnectorProblem]
    public var description: String {
        problems.map { ($0.path.isEmpty ? "" : "\($0.path): ") + $0.message }.joined(separator: "; ")
    }
}

extension Connector {
    /// The connector a JSON object describes, or every problem in it: unknown and missing members, wrong types, bad values.
    ///
    /// The one validation both the REST API (JSON) and `connector apply` (YAML, with line and column) use.
    public static func parse(_ json: JSONValue) throws(ConnectorProblems) -> Connector {
        let sink = ProblemSink()
        guard let top = MemberReader(json, path: "", sink: sink) else { throw ConnectorProblems(problems: sink.problems) }
        let connector = top.connector()
        guard let connector, sink.problems.isEmpty else { throw ConnectorProblems(problems: sink.problems) }
        return connector
    }
}

/// Collects problems while a connector is read.
private final class ProblemSink {
    var problems: [ConnectorProblem] = []
    /// Records a problem.
    func add(_ path: String, _ message: String, unknown: Bool = false) {
        problems.append(ConnectorProblem(path: path, isUnknownMember: unknown, message: message))
    }
}

/// Reads one JSON object's members by name, recording what is missing, unknown or malformed.
private struct MemberReader {
    let object: [String: JSONValue]
    let path: String
    let sink: ProblemSink

    /// A reader over `value`, or nil (with a problem recorded) when it is not an object.
    init?(_ value: JSONValue, path: String, sink: ProblemSink) {
        guard let o = value.objectValue, case .object = value else {
            sink.add(path, "must be a mapping of members")
            return nil
        }
        object = o
        self.path = path
        self.sink = sink
    }

    /// The path of member `key`.
    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Records every member not in `allowed`, naming where it may belong.
    func rejectUnknown(_ allowed: [String], context: String) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            sink.add(at(key), "unknown member '\(key)' \(context) (allowed: \(allowed.joined(separator: ", ")))", unknown: true)
        }
    }

    /// Member `key` as a string, recording a problem when it is required and missing, or not a string, or breaks `rule`.
    func string(_ key: String, required: Bool, rule: (String) -> String? = { _ in nil }) -> String? {
        guard let value = object[key], value != .null else {
            if required { sink.add(path, "missing required member '\(key)'") }
            return nil
        }
        guard case .string(let s) = value else {
            sink.add(at(key), "must be a string")
            return nil
        }
        if let why = rule(s) {
            sink.add(at(key), why)
            return nil
        }
        return s
    }

    /// Member `key` as a list of tags (`Identifiers`), or `[]` when absent.
    func tags(_ key: String) -> [String] {
        strings(key, what: "tags", max: Identifiers.maxTags, rule: Identifiers.tagProblem)
    }

    /// Member `key` as a list of at most `max` `what`, each held to `rule`, or `[]` when absent.
    func strings(_ key: String, what: String, max: Int, rule: (String) -> String?) -> [String] {
        guard let value = object[key], value != .null else { return [] }
        guard case .array(let items) = value else {
            sink.add(at(key), "must be a list of \(what)")
            return []
        }
        if items.count > max { sink.add(at(key), "has \(items.count) entries; at most \(max)") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                sink.add("\(at(key))[\(i)]", "must be a string")
                continue
            }
            if let why = rule(s) { sink.add("\(at(key))[\(i)]", why) } else { out.append(s) }
        }
        return out
    }

    /// Records each member of `keys` that is present, saying it does not belong with `context`.
    func forbid(_ keys: [String], context: String) {
        for key in keys where object[key] != nil {
            sink.add(at(key), "member '\(key)' does not apply to \(context)", unknown: true)
        }
    }

    /// Member `key` as an enumeration value, listing the allowed values when it is not one.
    func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> E? where E.RawValue == String {
        guard let raw = string(key, required: true) else { return nil }
        guard let value = E(rawValue: raw) else {
            sink.add(at(key), "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw.prefix(64))'")
            return nil
        }
        return value
    }

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
