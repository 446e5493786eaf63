import DelegateProtocol
import Foundation
import YAMLSupport
import Yams

/// What a manifest describes, and the AWS input shape it must fit.
public enum ManifestKind: String, Sendable, CaseIterable {
    case taskDefinition = "task definition"
    case serviceDefinition = "service definition"
    case scalableTarget = "scalable target"
    case scalingPolicy = "scaling policy"
    case runTaskRequest = "run task request"

    var model: ShapeModel {
        switch self {
        case .scalableTarget, .scalingPolicy: return .autoScaling
        default: return .ecs
        }
    }

    /// The input shape the manifest is validated against.
    var shape: String {
        switch self {
        case .taskDefinition: return "RegisterTaskDefinitionRequest"
        case .serviceDefinition: return "CreateServiceRequest"
        case .scalableTarget: return "RegisterScalableTargetRequest"
        case .scalingPolicy: return "PutScalingPolicyRequest"
        case .runTaskRequest: return "RunTaskRequest"
        }
    }

    /// Required members the delegate fills itself (the cluster, the task definition, the resource id).
    var filledByDelegate: Set<String> {
        switch self {
        case .taskDefinition: return []
        case .serviceDefinition: return ["cluster", "taskDefinition"]
        case .scalableTarget: return ["ResourceId", "resourceId"]
        case .scalingPolicy: return ["ResourceId", "resourceId"]
        case .runTaskRequest: return ["cluster", "taskDefinition"]
        }
    }
}

/// A problem in a manifest, pointing at the spot.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The manifest's file name.
    public var file: String
    /// 1-based line and column, when known.
    public var line: Int?
    public var column: Int?
    /// The member path, e.g. `containerDefinitions[0].image`.
    public var path: String?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int? = nil, column: Int? = nil, path: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        s += ": "
        if let path, !path.isEmpty { s += "\(path): " }
        return s + message
    }
}

/// Every problem found in one manifest.
public struct ManifestErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ManifestError]
    /// Creates the list.
    public init(errors: [ManifestError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A manifest turned into the request body the delegate would send.
public struct RenderedManifest: Sendable, Equatable {
    /// The body: nulls dropped, expressions rendered, only members of the input shape.
    public var body: JSONValue
    /// Notes for the log: members dropped from `describe-*` output, the cluster taken from the infrastructure.
    public var notes: [String]
}

/// Loads, renders and validates manifests (JSON or YAML).
///
/// JSON is read as YAML (a superset), so both give line and column numbers.
/// Members are checked against the AWS input shape generated from the API
/// model: an unknown member is an error in a hand-written manifest, and is
/// dropped (and noted) in the output of `aws ecs describe-task-definition` /
/// `describe-services`, which carries read-only members.
public struct ManifestRenderer: Sendable {
    /// Values for `<+a.b.c>` expressions (e.g. `["artifact": ["image": "nginx:perl"]]`).
    public var variables: [String: JSONValue]
    /// The size, expansion and depth bounds.
    public var limits: ManifestLimits

    /// Creates a renderer.
    public init(variables: [String: JSONValue] = [:], limits: ManifestLimits = .standard) {
        self.variables = variables
        self.limits = limits
    }

    /// Renders `text` (from `file`) as a `kind` manifest, or throws every problem found.
    public func render(_ text: String, file: String, kind: ManifestKind) throws -> RenderedManifest {
        var errors: [ManifestError] = []
        try limits.checkSize(text, file: file)
        let node: Node?
        do {
            try YAMLExpansion.check(text, maxNodes: limits.maxNodes, maxDepth: limits.maxDepth)
            node = try YAMLValues.compose(text)
        } catch let e as YamlError {
            throw ManifestErrors(errors: [yamlSyntaxError(e, file: file)])
        } catch let p as YAMLExpansion.Problem {
            throw ManifestErrors(errors: [ManifestError(file: file, line: p.line, column: p.column, message: p.message)])
        }
        if let node { try limits.checkShape(node, file: file) }
        guard let node, case .mapping = node else {
            throw ManifestErrors(errors: [ManifestError(file: file, line: node?.mark?.line, column: node?.mark?.column, path: nil, message: "a \(kind.rawValue) must be a mapping of members (got \(node.map(describe) ?? "an empty document"))")])
        }
        var notes: [String] = []
        var root = node
        var fromDescribe = false
        // describe-task-definition / describe-services / create-service output: unwrap.
        if let m = node.mapping {
            switch kind {
            case .taskDefinition:
                if let inner = m["taskDefinition"], inner.mapping != nil { root = inner; fromDescribe = true }
            case .serviceDefinition:
                if let list = m["services"]?.sequence {
                    guard let first = list.first, list.count == 1 else {
                        throw ManifestErrors(errors: [ManifestError(file: file, line: m["services"]?.mark?.line, column: m["services"]?.mark?.column, path: "services", message: "describe-services output must hold exactly one service (found \(list.count))")])
                    }
                    root = first
                    fromDescribe = true
                } else if let inner = m["service"], inner.mapping != nil {
                    root = inner
                    fromDescribe = true
                }
            default: break
            }
        }
        let model = kind.model
        var body = convert(root, shape: kind.shape, model: model, path: "", file: file, lenient: fromDescribe, errors: &errors, notes: &notes) ?? .emptyObject
        if kind == .serviceDefinition || kind == .runTaskRequest, case .object(var o) = body, o["cluster"] != nil {
            o["cluster"] = nil
            notes.append("cluster in the manifest ignored: the cluster comes from the infrastructure")
            body = .object(o)
        }
        if fromDescribe, kind == .serviceDefinition, case .object(var o) = body {
            // describe-services gives taskDefinition as an ARN of the old revision; the deployment supplies its own.
            if o.removeValue(forKey: "taskDefinition") != nil { notes.append("dropped taskDefinition: the deployment registers its own") }
            body = .object(o)
        }
        if case .structure(_, let required) = model.shapes[kind.shape], case .object(let o) = body {
            for r in required where o[r] == nil && !kind.filledByDelegate.contains(r) {
                errors.append(ManifestError(file: file, line: nil, column: nil, path: nil, message: "missing required member '\(r)'"))
            }
        }
        if !errors.isEmpty { throw ManifestErrors(errors: errors) }
        return RenderedManifest(body: body, notes: notes)
    }

    // MARK: conversion

    private func convert(_ node: Node, shape name: String, model: ShapeModel, path: String, file: String, lenient: Bool, errors: inout [ManifestError], notes: inout [String]) -> JSONValue? {
        let shape = model.shapes[name]
        func fail(_ message: String) {
            errors.append(ManifestError(file: file, line: node.mark?.line, column: node.mark?.column, path: path.isEmpty ? nil : path, message: message))
        }
        switch shape {
        case .structure(let members, _)?:
            guard let mapping = node.mapping else {
                if YAMLValues.isNull(node) { return nil }
                fail("expected a mapping of members, got \(describe(node))")
                return nil
            }
            var out: [String: JSONValue] = [:]
            for (k, v) in mapping {
                guard let written = k.string else { continue }
                // Application Auto Scaling's model uses PascalCase; manifests are written in camelCase.
                let key = members[written] != nil ? written : (members.keys.first { $0.caseInsensitiveCompare(written) == .orderedSame } ?? written)
                let childPath = path.isEmpty ? written : "\(path).\(written)"
                guard let memberShape = members[key] else {
                    if lenient {
                        notes.append("dropped \(childPath): not a member of \(name)")
                    } else {
                        let hint = closest(written, in: Array(members.keys)).map { "; did you mean '\($0)'?" } ?? ""
                        errors.append(ManifestError(file: file, line: k.mark?.line, column: k.mark?.column, path: childPath, message: "unknown member '\(written)' of \(name)\(hint)"))
                    }
                    continue
                }
                if let value = convert(v, shape: memberShape, model: model, path: childPath, file: file, lenient: lenient, errors: &errors, notes: &notes) {
                    out[key] = value
                }
            }
            return .object(out)
        case .list(let member)?:
            guard let seq = node.sequence else {
                if YAMLValues.isNull(node) { return nil }
                fail("expected a list, got \(describe(node))")
                return nil
            }
            return .array(seq.enumerated().compactMap { i, item in
                convert(item, shape: member, model: model, path: "\(path)[\(i)]", file: file, lenient: lenient, errors: &errors, notes: &notes)
            })
        case .map(_, let value)?:
            guard let mapping = node.mapping else {
                if YAMLValues.isNull(node) { return nil }
                fail("expected a mapping, got \(describe(node))")
                return nil
            }
            var out: [String: JSONValue] = [:]
            for (k, v) in mapping {
                guard let key = k.string else { continue }
                if let value = convert(v, shape: value, model: model, path: "\(path).\(key)", file: file, lenient: lenient, errors: &errors, notes: &notes) {
                    out[key] = value
                }
            }
            return .object(out)
        case nil:
            fail("no shape \(name) in the API model")
            return nil
        default:
            return scalar(node, shape: shape, path: path, file: file, errors: &errors)
        }
    }

    private func scalar(_ node: Node, shape: Shape?, path: String, file: String, errors: inout [ManifestError]) -> JSONValue? {
        func fail(_ message: String) {
            errors.append(ManifestError(file: file, line: node.mark?.line, column: node.mark?.column, path: path, message: message))
        }
        guard case .scalar(let s) = node else {
            fail("expected a single value, got \(describe(node))")
            return nil
        }
        if YAMLValues.isNull(node) { return nil }
        // Expressions first: "<+artifact.image>" or text containing them.
        var value: JSONValue
        switch s.style {
        case .singleQuoted, .doubleQuoted, .literal, .folded: value = .string(s.string)
        default: value = YAMLValues.plainScalar(node)
        }
        // The scalar as the author wrote it, for messages and for string members given a plain number.
        var written: String? = s.string
        if case .string(let text) = value, text.contains("<+") {
            guard let rendered = renderExpressions(text, path: path, node: node, file: file, errors: &errors) else { return nil }
            value = rendered
            written = nil
        }
        let shown = written.map { "'\($0)'" } ?? show(value)
        switch shape {
        case .string(let enumValues)?:
            let text: String
            switch value {
            case .string(let t): text = t
            case .number(let n): text = written ?? UntrustedNumber.text(n)
            case .bool(let b): text = b ? "true" : "false"
            default: fail("expected a string"); return nil
            }
            if let enumValues, !enumValues.contains(text) {
                fail("'\(text)' is not one of \(enumValues.joined(separator: ", "))")
                return nil
            }
            return .string(text)
        case .integer?, .long?:
            let range: ClosedRange<Int64> = shape == .integer ? Int64(Int32.min)...Int64(Int32.max) : -9_007_199_254_740_991...9_007_199_254_740_991
            let number = value.doubleValue ?? value.stringValue.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            if let number, let i = UntrustedNumber.integer(number, in: range) { return .number(Double(i)) }
            fail("expected an integer from \(range.lowerBound) to \(range.upperBound), got \(shown)")
            return nil
        case .double?, .float?:
            let number = value.doubleValue ?? value.stringValue.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            if let number, number.isFinite, shape == .double || abs(number) <= Double(Float.greatestFiniteMagnitude) { return .number(number) }
            fail("expected a finite number, got \(shown)")
            return nil
        case .boolean?:
            if let b = value.boolValue { return .bool(b) }
            if case .string(let t) = value, ["true", "false"].contains(t.lowercased()) { return .bool(t.lowercased() == "true") }
            fail("expected true or false, got \(show(value))")
            return nil
        case .timestamp?:
            return value
        default:
            return value
        }
    }

    /// Replaces `<+a.b.c>` with variables; a string that is one whole expression keeps the variable's type.
    private func renderExpressions(_ text: String, path: String, node: Node, file: String, errors: inout [ManifestError]) -> JSONValue? {
        var out = ""
        var rest = Substring(text)
        var whole: JSONValue?
        var failed = false
        while let start = rest.range(of: "<+") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: ">") else {
                errors.append(ManifestError(file: file, line: node.mark?.line, column: node.mark?.column, path: path, message: "unterminated expression '\(rest[start.lowerBound...])'"))
                return nil
            }
            let expr = String(rest[start.upperBound..<end]).trimmingCharacters(in: .whitespaces)
            if let v = lookup(expr) {
                if start.lowerBound == text.startIndex && rest.index(after: end) == rest.endIndex && out.isEmpty {
                    whole = v
                }
                out += stringify(v)
            } else {
                errors.append(ManifestError(file: file, line: node.mark?.line, column: node.mark?.column, path: path, message: "cannot resolve expression '<+\(expr)>' (known: \(knownExpressions().joined(separator: ", ")))"))
                failed = true
            }
            rest = rest[rest.index(after: end)...]
        }
        if failed { return nil }
        out += rest
        if let whole, stringify(whole) == out { return whole }
        return .string(out)
    }

    private func lookup(_ expr: String) -> JSONValue? {
        var current: JSONValue = .object(variables)
        for part in expr.split(separator: ".") {
            guard let next = current[String(part)] else { return nil }
            current = next
        }
        if case .object = current { return nil }
        return current
    }

    private func knownExpressions() -> [String] {
        func walk(_ v: JSONValue, _ prefix: String) -> [String] {
            if case .object(let o) = v {
                return o.keys.sorted().flatMap { walk(o[$0] ?? .null, prefix.isEmpty ? $0 : "\(prefix).\($0)") }
            }
            return ["<+\(prefix)>"]
        }
        let all = walk(.object(variables), "")
        return all.isEmpty ? ["none"] : all
    }
}

private func stringify(_ v: JSONValue) -> String {
    switch v {
    case .string(let s): return s
    case .number(let n): return UntrustedNumber.text(n)
    case .bool(let b): return b ? "true" : "false"
    case .null: return ""
    default:
        if let d = try? JSONEncoder().encode(v) { return String(decoding: d, as: UTF8.self) }
        return ""
    }
}

private func show(_ v: JSONValue) -> String {
    switch v {
    case .string(let s): return "'\(s)'"
    default: return stringify(v)
    }
}

private func describe(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .scalar(let s): return s.string.isEmpty ? "nothing" : "'\(s.string)'"
    case .alias: return "an alias"
    }
}

/// A YAML syntax error as a manifest error at its line and column.
public func yamlSyntaxError(_ e: YamlError, file: String) -> ManifestError {
    switch e {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
        let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        return ManifestError(file: file, line: mark.line, column: mark.column, path: nil, message: "syntax error: \(what)")
    default:
        return ManifestError(file: file, line: nil, column: nil, path: nil, message: "syntax error: \(e)")
    }
}

/// The member name closest to `key` (case-insensitive, small edit distance), for "did you mean".
public func closest(_ key: String, in candidates: [String]) -> String? {
    let k = Array(key.lowercased())
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(k, Array(c.lowercased()))
        if d <= max(2, k.count / 4), d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
}

private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
