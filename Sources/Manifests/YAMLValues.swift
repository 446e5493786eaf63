import DelegateProtocol
import Yams

/// YAML read as JSON: the one set of rules for what a plain scalar means (JSON-compatible: no `yes`/`on` booleans).
public enum YAMLValues {
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

func isNull(_ node: Node) -> Bool {
    if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
    return false
}

/// A plain (unquoted) YAML scalar with its resolved type (JSON-compatible: no `yes`/`on` booleans).
func plainScalar(_ node: Node) -> JSONValue {
    guard case .scalar(let s) = node else { return .null }
    let t = s.string
    if t == "true" || t == "True" || t == "TRUE" { return .bool(true) }
    if t == "false" || t == "False" || t == "FALSE" { return .bool(false) }
    if let i = Int64(t) { return .number(Double(i)) }
    if t.contains(where: { $0.isNumber }), let d = Double(t), !t.lowercased().contains("n") { return .number(d) }
    return .string(t)
}

