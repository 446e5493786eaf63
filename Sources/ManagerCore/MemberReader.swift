import DelegateProtocol
import Foundation

/// Collects problems while a connector or notifier is read.
final class ProblemSink {
    var problems: [MemberProblem] = []
    /// Records a problem.
    func add(_ path: String, _ message: String, unknown: Bool = false) {
        problems.append(MemberProblem(path: path, isUnknownMember: unknown, message: message))
    }
}

/// Reads one JSON object's members by name, recording what is missing, unknown or malformed.
struct MemberReader {
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

    /// What `read` makes of the top-level object `json`, or every problem in it (the problems `read` records, or `json` not being a mapping).
    static func parse<T>(_ json: JSONValue, _ read: (MemberReader) -> T?) throws(MemberProblems) -> T {
        let sink = ProblemSink()
        guard let top = MemberReader(json, path: "", sink: sink), let value = read(top), sink.problems.isEmpty else {
            throw MemberProblems(problems: sink.problems)
        }
        return value
    }
}
