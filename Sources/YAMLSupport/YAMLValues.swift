import JSONValues
import Yams

/// YAML read as JSON: the one set of rules for what a plain scalar means (JSON-compatible: no `yes`/`on` booleans).
public enum YAMLValues {
    /// Parses one YAML document into nodes: the one YAML loading entry point of the delegate and the manager.
    ///
    /// Plain scalars keep the `str` tag (Yams' `Resolver.basic`): what they mean is decided by
    /// `json(_:)` and its siblings, never by Yams' tag rules. Those rules are regular expressions
    /// whose first use compiles them with ICU, which a delegate reading its configuration would
    /// otherwise map in and keep resident for its whole life (about 2 MiB at idle, docs/benchmarks.md).
    public static func compose(_ text: String) throws -> Node? {
        try Yams.compose(yaml: text, Resolver.basic, Constructor.default)
    }

    /// A node for a plain scalar given outside YAML (an environment variable), read by the same rules.
    public static func plain(_ text: String) -> Node {
        Node(text, Tag(.str, Resolver.basic, Constructor.default), .plain)
    }

    /// A node for a string given outside YAML that is a string whatever it looks like.
    public static func string(_ text: String) -> Node {
        Node(text, Tag(.str, Resolver.basic, Constructor.default), .doubleQuoted)
    }

    /// The number a plain scalar stands for (`5`, `0.5`, `1e20`), or nil: quoted scalars, `.inf` and `.nan` are not numbers.
    public static func number(_ node: Node) -> Double? {
        guard case .scalar(let s) = node, s.style == .plain, !isNull(node), case .number(let d) = plainScalar(node) else { return nil }
        return d
    }

    /// Whether a plain scalar reads as something other than a string (null, a boolean or a number): such a value
    /// must be quoted where a string is wanted.
    public static func isPlainNonString(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { return false }
        if case .string = json(node) { return false }
        return true
    }
    /// `node` as a JSON value: quoted scalars are strings, plain ones booleans, numbers, null or strings; aliases expanded.
    public static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let s):
            if isNull(node) { return .null }
            switch s.style {
            case .singleQuoted, .doubleQuoted, .literal, .folded: return .string(s.string)
            default: return plainScalar(node)
            }
        case .mapping(let m):
            var out: [String: JSONValue] = [:]
            for (k, v) in m { if let key = k.string { out[key] = json(v) } }
            return .object(out)
        case .sequence(let seq):
            return .array(seq.map(json))
        case .alias:
            return .null
        }
    }
}

extension YAMLValues {
    /// Whether `node` is a plain null (`~`, `null`, or nothing).
    public static func isNull(_ node: Node) -> Bool {
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    /// A plain (unquoted) YAML scalar with its resolved type (JSON-compatible: no `yes`/`on` booleans).
    public static func plainScalar(_ node: Node) -> JSONValue {
        guard case .scalar(let s) = node else { return .null }
        let t = s.string
        if t == "true" || t == "True" || t == "TRUE" { return .bool(true) }
        if t == "false" || t == "False" || t == "FALSE" { return .bool(false) }
        if let i = Int64(t) { return .number(Double(i)) }
        if t.contains(where: { $0.isNumber }), let d = Double(t), !t.lowercased().contains("n") { return .number(d) }
        return .string(t)
    }
}
