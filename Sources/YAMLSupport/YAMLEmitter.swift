import JSONValues
import Yams

/// YAML text for a JSON value, for people and tools that read YAML (`ecs-manager ... -o yaml`).
///
/// Block style, object keys sorted. A string is double-quoted wherever a YAML
/// 1.1 or 1.2 reader could take it for something else (`"true"`, `"no"`,
/// `"0123"`, `""`); libyaml quotes the rest when their characters need it.
public enum YAMLEmitter {
    /// The YAML document for `value`, ending in a newline.
    public static func emit(_ value: JSONValue) throws -> String {
        try Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)
    }

    /// The node for `value`.
    static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null:
            return Node("null", Tag(.null), .plain)
        case .bool(let b):
            return Node(b ? "true" : "false", Tag(.bool), .plain)
        case .number(let d):
            if d.rounded() == d, abs(d) < 1e15 { return Node(String(Int64(d)), Tag(.int), .plain) }
            return Node(d.isFinite ? "\(d)" : d.isNaN ? ".nan" : d > 0 ? ".inf" : "-.inf", Tag(.float), .plain)
        case .string(let s):
            return Node(s, Tag(.str), mustQuote(s) ? .doubleQuoted : .any)
        case .array(let items):
            return Node(items.map(node), Tag(.seq), .block)
        case .object(let members):
            let pairs = members.keys.sorted().map { key in (Node(key, Tag(.str), mustQuote(key) ? .doubleQuoted : .any), node(members[key] ?? .null)) }
            return Node(pairs, Tag(.map), .block)
        }
    }

    /// Words YAML 1.1 or 1.2 readers take for booleans or null.
    static let reserved: Set<String> = ["", "~", "null", "true", "false", "y", "n", "yes", "no", "on", "off"]

    /// Whether `s` written plain could read as a boolean, null or a number.
    static func mustQuote(_ s: String) -> Bool {
        if reserved.contains(s.lowercased()) { return true }
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return true }
        if "0123456789+-.".unicodeScalars.contains(first) { return true }
        return first == " " || last == " "
    }
}
