import DelegateProtocol
import Foundation
import Manifests
import YAMLSupport
import Yams

/// Reads a YAML document into typed values, collecting every problem with its file, line, column and path.
struct YAMLReader {
    let file: String
    /// Every problem found so far.
    var errors: [ManifestError] = []

    init(file: String) {
        self.file = file
    }

    mutating func fail(_ node: Node?, _ path: String, _ message: String) {
        errors.append(ManifestError(file: file, line: node?.mark?.line, column: node?.mark?.column, path: path.isEmpty ? nil : path, message: message))
    }

    func syntaxError(_ e: YamlError) -> ManifestError { yamlSyntaxError(e, file: file) }

    /// The members of a mapping; unknown keys are problems (with "did you mean"), nil when it is not a mapping.
    mutating func mapping(_ node: Node, path: String, allowed: [String]) -> [String: Node]? {
        guard let m = node.mapping else {
            fail(node, path, "expected a mapping")
            return nil
        }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { continue }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                let hint = closest(key, in: allowed).map { "; did you mean '\($0)'?" } ?? ""
                errors.append(ManifestError(file: file, line: k.mark?.line, column: k.mark?.column, path: childPath, message: "unknown key '\(key)' (known: \(allowed.sorted().joined(separator: ", ")))\(hint)"))
                continue
            }
            out[key] = v
        }
        return out
    }

    /// A string member; an identifier is also held to the rules of names (printable, bounded).
    mutating func string(_ node: Node?, _ parent: Node?, _ path: String, required: Bool, identifier: Bool = false) -> String {
        guard let node else {
            if required { fail(parent, "", "missing required key '\(path)'") }
            return ""
        }
        guard case .scalar(let s) = node, !s.string.isEmpty else {
            fail(node, path, "expected a non-empty string")
            return ""
        }
        if identifier, let why = Identifiers.nameProblem(s.string) { fail(node, path, why) }
        return s.string
    }

    /// An integer member within `range`.
    mutating func integer(_ node: Node?, _ path: String, in range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        let v = YAMLValues.json(node)
        guard let n = v.intValue, range.contains(n) else {
            fail(node, path, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(node.string.map { "'\($0)'" } ?? "a collection")")
            return nil
        }
        return n
    }

    /// A mapping of free-form values (variables, artifact).
    mutating func values(_ node: Node?, _ path: String) -> [String: JSONValue] {
        guard let node else { return [:] }
        guard case .object(let o) = YAMLValues.json(node) else {
            fail(node, path, "expected a mapping")
            return [:]
        }
        return o
    }

    /// The artifact's registry form when it names a `connector` (nil for the plain form, or when it has problems).
    mutating func artifact(_ node: Node) -> PipelineArtifact? {
        guard node.mapping?["connector"] != nil else { return nil }
        guard let m = mapping(node, path: "artifact", allowed: PipelineArtifact.keys) else { return nil }
        let before = errors.count
        let connector = string(m["connector"], node, "artifact.connector", required: true, identifier: true)
        let image = string(m["image"], node, "artifact.image", required: true)
        if let why = Identifiers.textProblem(image, maxBytes: 255) { fail(m["image"], "artifact.image", why) }
        let tag = m["tag"] == nil ? "latest" : string(m["tag"], node, "artifact.tag", required: false)
        if let why = Identifiers.textProblem(tag, maxBytes: 128) { fail(m["tag"], "artifact.tag", why) }
        var pin = true
        if let p = m["pinDigest"] {
            if case .bool(let b) = YAMLValues.json(p) { pin = b } else { fail(p, "artifact.pinDigest", "expected true or false") }
        }
        guard errors.count == before else { return nil }
        return PipelineArtifact(connector: connector, image: image, tag: tag, pinDigest: pin)
    }

    /// A manifest reference in the delegate's form: `{path}` (read now, relative to the pipeline), `{inline}`, `{s3}`, `{git}`.
    mutating func manifestRef(_ node: Node, _ path: String, baseDirectory: String) -> JSONValue? {
        guard let m = mapping(node, path: path, allowed: ["path", "inline", "s3", "git"]) else { return nil }
        guard m.count == 1, let (kind, value) = m.first else {
            fail(node, path, "a manifest reference names exactly one of path, inline, s3, git")
            return nil
        }
        switch kind {
        case "path":
            guard let rel = value.string, !rel.isEmpty else { fail(value, "\(path).path", "expected a file path"); return nil }
            let full = rel.hasPrefix("/") ? rel : (baseDirectory as NSString).appendingPathComponent(rel)
            let data: Data
            do {
                data = try BoundedFile.read(full, maxBytes: ManifestLimits.standard.maxBytes)
            } catch {
                fail(value, "\(path).path", "\(error)")
                return nil
            }
            return ["store": "inline", "path": .string(rel), "identifier": .string((rel as NSString).lastPathComponent), "content": .string(String(decoding: data, as: UTF8.self))]
        case "inline":
            guard let text = value.string else { fail(value, "\(path).inline", "expected the manifest's text"); return nil }
            return ["store": "inline", "path": .string("\(path).yaml"), "content": .string(text)]
        case "s3":
            guard let s3 = mapping(value, path: "\(path).s3", allowed: ["bucket", "key"]), let bucket = s3["bucket"]?.string, let key = s3["key"]?.string else {
                fail(value, "\(path).s3", "S3 references need bucket and key")
                return nil
            }
            return ["store": "s3", "bucket": .string(bucket), "key": .string(key)]
        default:
            return gitRef(value, "\(path).git")
        }
    }

    /// A `{git: {url, ref, path, usernameSecret, passwordSecret}}` reference, each member held to `GitSource`'s rules at its own line and column.
    mutating func gitRef(_ node: Node, _ path: String) -> JSONValue? {
        let members = ["url", "ref", "path", "usernameSecret", "passwordSecret"]
        guard let git = mapping(node, path: path, allowed: members) else { return nil }
        var out: [String: JSONValue] = ["store": "git"]
        for key in members {
            guard let value = git[key] else { continue }
            guard let s = value.string else { fail(value, "\(path).\(key)", "expected a string"); continue }
            out[key] = .string(s)
        }
        do {
            _ = try GitSource(.object(out))
        } catch {
            fail(git[error.member] ?? node, "\(path).\(error.member)", error.message)
            return nil
        }
        return .object(out)
    }

    /// The strategy: `type` and that type's options, each checked.
    mutating func strategy(_ node: Node) -> PipelineStrategy? {
        guard let m = node.mapping else { fail(node, "strategy", "expected a mapping with a type"); return nil }
        guard let typeNode = m["type"], let typeName = typeNode.string else {
            fail(node, "strategy", "missing required key 'type' (\(PipelineStrategy.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        guard let kind = PipelineStrategy.Kind(rawValue: typeName) else {
            let known = PipelineStrategy.Kind.allCases.map(\.rawValue)
            let hint = closest(typeName, in: known).map { "; did you mean '\($0)'?" } ?? ""
            fail(typeNode, "strategy.type", "unknown strategy '\(typeName)' (known: \(known.joined(separator: ", ")))\(hint)")
            return nil
        }
        let (allowed, required) = PipelineStrategy.allowedOptions(kind)
        guard let members = mapping(node, path: "strategy", allowed: ["type"] + allowed.keys.sorted()) else { return nil }
        let options = self.options(members.filter { $0.key != "type" }, allowed, path: "strategy")
        for r in required where members[r] == nil { fail(node, "strategy", "strategy \(kind.rawValue) needs '\(r)'") }
        let strategy = PipelineStrategy(kind: kind, options: options)
        for check in strategy.gates where check.kind == .verify {
            if let why = check.verifyKind.problem(check, defaultURL: strategy.defaultVerifyURL, afterDeploy: true) { fail(members["verify"], "strategy.verify", why) }
        }
        if let message = strategy.gates.first(where: { $0.kind == .approval })?.string("message"), let why = Identifiers.textProblem(message, maxBytes: PlannedGate.maxMessageBytes) {
            fail(members["approval"], "strategy.approval.message", why)
        }
        return strategy
    }

    /// The option values of `members`, each checked against its type in `allowed` (unknown keys were refused by `mapping`).
    mutating func options(_ members: [String: Node], _ allowed: [String: PipelineStrategy.OptionType], path: String) -> [String: JSONValue] {
        var options: [String: JSONValue] = [:]
        for (key, value) in members {
            guard let type = allowed[key] else { continue }
            if let v = option(value, "\(path).\(key)", type) { options[key] = v }
        }
        return options
    }

    /// One option's value if it has the type `type`; else a problem at `path`.
    mutating func option(_ value: Node, _ path: String, _ type: PipelineStrategy.OptionType) -> JSONValue? {
        let v = YAMLValues.json(value)
        switch type {
        case .bool:
            if case .bool = v { return v }
            fail(value, path, "expected true or false")
        case .string:
            if let s = v.stringValue ?? (v.intValue.map(String.init)), !s.isEmpty { return .string(s) }
            fail(value, path, "expected a string")
        case .integer(let range):
            if let n = v.intValue, range.contains(n) { return .number(Double(n)) }
            fail(value, path, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        case .number(let range):
            if let d = v.doubleValue, d.isFinite, range.contains(d) { return .number(d) }
            fail(value, path, "expected a number from \(UntrustedNumber.text(range.lowerBound)) to \(UntrustedNumber.text(range.upperBound))")
        case .stringList:
            let list = v.arrayValue?.compactMap(\.stringValue) ?? []
            if !list.isEmpty, list.count <= 100, list.count == v.arrayValue?.count, list.allSatisfy({ Identifiers.textProblem($0, maxBytes: 2048) == nil }) {
                return .array(list.map { .string($0) })
            }
            fail(value, path, "expected a list of 1 to 100 non-empty one-line strings")
        case .steps(let kind):
            if case .bool(true) = v { return .array([.object([:])]) }
            let items = value.sequence ?? [value]
            guard !items.isEmpty, items.count <= 16 else {
                fail(value, path, "expected a mapping of \(kind.rawValue) options, or a list of 1 to 16 of them")
                return nil
            }
            let (allowed, required) = kind.allowedOptions
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() {
                let itemPath = value.sequence == nil ? path : "\(path)[\(i)]"
                guard let members = mapping(item, path: itemPath, allowed: allowed.keys.sorted() + ["onFailure"]) else { continue }
                for r in required where members[r] == nil { fail(item, itemPath, "a \(kind.rawValue) needs '\(r)'") }
                var object = options(members, allowed, path: itemPath)
                if let node = members["onFailure"], let strategy = onFailure(node, "\(itemPath).onFailure", gate: kind.isGate) {
                    object[PipelineStrategy.onFailureMember] = (try? JSONValue(encoding: strategy)) ?? .null
                }
                out.append(.object(object))
            }
            return .array(out)
        case .choice(let words):
            if let s = v.stringValue, words.contains(s) { return v }
            fail(value, path, "expected one of \(words.joined(separator: ", "))")
        case .percentList:
            let list = v.arrayValue?.compactMap(\.intValue) ?? []
            if !list.isEmpty, list.count == v.arrayValue?.count, list.allSatisfy({ (1...100).contains($0) }), zip(list, list.dropFirst()).allSatisfy({ $0 < $1 }) {
                return .array(list.map { .number(Double($0)) })
            }
            fail(value, path, "expected increasing percentages from 1 to 100, e.g. [10, 50, 100]")
        }
        return nil
    }

    /// A pipeline's `steps:` list: each item a mapping with `type`, optional `name` and `id`, and the kind's options.
    mutating func steps(_ node: Node) -> [PipelineStep]? {
        guard let items = node.sequence, !items.isEmpty else { fail(node, "steps", "expected a list of steps, each a mapping with a type"); return nil }
        guard items.count <= PipelinePlan.maxSteps else { fail(node, "steps", "\(items.count) steps; at most \(PipelinePlan.maxSteps)"); return nil }
        var steps: [PipelineStep] = []
        var seen: [PipelineStep.Kind] = []
        var ids: Set<String> = []
        for (i, item) in items.enumerated() {
            let path = "steps[\(i)]"
            guard let m = item.mapping, let typeNode = m["type"], let typeName = typeNode.string else {
                fail(item, path, "expected a mapping with a type (\(PipelineStep.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            guard let kind = PipelineStep.Kind(rawValue: typeName) else {
                let known = PipelineStep.Kind.allCases.map(\.rawValue)
                let hint = closest(typeName, in: known).map { "; did you mean '\($0)'?" } ?? ""
                fail(typeNode, "\(path).type", "unknown step type '\(typeName)' (known: \(known.joined(separator: ", ")))\(hint)")
                continue
            }
            let (allowed, required) = kind.allowedOptions
            let own = ["type", "name", "id", "onFailure"]
            guard let members = mapping(item, path: path, allowed: own + allowed.keys.sorted()) else { continue }
            let options = self.options(members.filter { !own.contains($0.key) }, allowed, path: path)
            let onFailure = members["onFailure"].flatMap { self.onFailure($0, "\(path).onFailure", gate: kind.isGate) }
            for r in required where members[r] == nil { fail(item, path, "a \(kind.rawValue) step needs '\(r)'") }
            let check = PipelineStep(kind, options: options)
            if kind == .verify, let why = check.verifyKind.problem(
                check, defaultURL: seen.contains(.blueGreenCreate) ? VerifyKind.defaultBlueGreenURL : nil,
                afterDeploy: seen.contains { [.rollingDeploy, .canaryDeploy, .blueGreenCreate].contains($0) }) {
                fail(item, path, why)
            }
            if kind == .approval, let message = options["message"]?.stringValue, let why = Identifiers.textProblem(message, maxBytes: PlannedGate.maxMessageBytes) {
                fail(members["message"], "\(path).message", why)
            }
            if let earlier = kind.needsEarlier, !seen.contains(earlier) {
                fail(typeNode, "\(path).type", "a \(kind.rawValue) step works on what a \(earlier.rawValue) step before it made; list one earlier")
            }
            let name = members["name"].map { string($0, item, "\(path).name", required: true) }
            if let name, let why = Identifiers.textProblem(name, maxBytes: 128) { fail(members["name"], "\(path).name", why) }
            let id = members["id"].map { string($0, item, "\(path).id", required: true) }
            if let id, !PipelineStep.isValidId(id) { fail(members["id"], "\(path).id", "must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit") }
            if let id, !ids.insert(id).inserted { fail(members["id"], "\(path).id", "the id '\(id)' is used by an earlier step") }
            seen.append(kind)
            steps.append(PipelineStep(kind, name: name, id: id, options: options, onFailure: onFailure))
        }
        return steps
    }

    /// A step's `onFailure`; a gate (approval, wait) cannot be retried.
    mutating func onFailure(_ node: Node, _ path: String, gate: Bool) -> FailureStrategy? {
        let strategy: FailureStrategy
        do {
            strategy = try YAMLValues.json(node).decode(as: FailureStrategy.self)
        } catch {
            fail(node, path, "expected rollback, abort, ignore, or {retry: {count: 1-\(FailureStrategy.maxRetries), intervalSeconds: 0-\(FailureStrategy.maxIntervalSeconds)}}")
            return nil
        }
        if gate, case .retry = strategy {
            fail(node, path, "a gate cannot be retried: use rollback, abort or ignore")
            return nil
        }
        return strategy
    }

    /// Each manifest a step renders must be named.
    mutating func requireManifests(for steps: [PipelineStep], _ manifests: [String: JSONValue], _ root: Node) {
        var needed: [String] = []
        for step in steps { for key in step.kind.requiredManifests where !needed.contains(key) { needed.append(key) } }
        for key in needed where manifests[key] == nil {
            let user = steps.first { $0.kind.requiredManifests.contains(key) }?.kind.rawValue ?? "?"
            fail(root, "manifests", "a \(user) step needs manifests.\(key)")
        }
    }

    /// Each manifest the strategy needs must be named.
    mutating func requireManifests(for strategy: PipelineStrategy, _ manifests: [String: JSONValue], _ root: Node) {
        for key in strategy.requiredManifests where manifests[key] == nil {
            fail(root, "manifests", "strategy \(strategy.kind.rawValue) needs manifests.\(key)")
        }
    }
}
