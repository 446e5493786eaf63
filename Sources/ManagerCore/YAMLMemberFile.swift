import DelegateProtocol
import Foundation
import Manifests
import YAMLSupport
import Yams

/// Reads a small YAML (or JSON) file of text members, a connector's or a notifier's, reporting every problem at its `file:line:column`.
///
/// The file is bounded in size, nodes and depth before it is composed; every
/// scalar becomes a string (these files hold only text), and the problems the
/// member reader finds are placed at the key or value they concern.
enum YAMLMemberFile {
    /// What `parse` reads: `text` from `file`, at most `maxBytes`, and what to call the thing in messages.
    static func parse<T>(
        _ text: String, file: String, maxBytes: Int, what: String, emptyHint: String, _ read: (JSONValue) throws(MemberProblems) -> T
    ) throws(ManifestErrors) -> T {
        guard text.utf8.count <= maxBytes else {
            throw ManifestErrors(errors: [ManifestError(file: file, message: "the \(what) file is \(text.utf8.count) bytes; at most \(maxBytes)")])
        }
        let root: Node?
        do {
            try YAMLExpansion.check(text, maxNodes: 10_000, maxDepth: 32)
            root = try YAMLValues.compose(text)
        } catch let p as YAMLExpansion.Problem {
            throw ManifestErrors(errors: [ManifestError(file: file, line: p.line, column: p.column, message: p.message)])
        } catch let e as YamlError {
            throw ManifestErrors(errors: [yamlSyntaxError(e, file: file)])
        } catch {
            throw ManifestErrors(errors: [ManifestError(file: file, message: "cannot read the file as YAML: \(error)")])
        }
        guard let root else {
            throw ManifestErrors(errors: [ManifestError(file: file, message: "the file is empty: \(emptyHint)")])
        }
        var marks = Marks()
        let json = value(root, path: "", marks: &marks, depth: 0)
        do {
            return try read(json)
        } catch {
            let located = error.problems.map { problem in
                let mark = (problem.isUnknownMember ? marks.keys[problem.path] : nil) ?? marks.values[problem.path] ?? marks.values[""]
                return ManifestError(file: file, line: mark?.line, column: mark?.column, path: problem.path.isEmpty ? nil : problem.path, message: problem.message)
            }
            // In the order of the file, as an editor lists them.
            throw ManifestErrors(errors: located.enumerated().sorted { a, b in
                let l = (a.element.line ?? 0, a.element.column ?? 0, a.offset)
                let r = (b.element.line ?? 0, b.element.column ?? 0, b.offset)
                return l < r
            }.map(\.element))
        }
    }

    /// Where each member's key and value are in the text, by member path.
    private struct Marks {
        var keys: [String: Mark] = [:]
        var values: [String: Mark] = [:]
    }

    /// The node as JSON, every scalar a string, recording marks by path.
    private static func value(_ node: Node, path: String, marks: inout Marks, depth: Int) -> JSONValue {
        if let mark = node.mark { marks.values[path] = mark }
        guard depth < 32 else { return .null }
        switch node {
        case .scalar(let s):
            let isNull = s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
            return isNull ? .null : .string(s.string)
        case .sequence(let seq):
            return .array(seq.enumerated().map { value($0.element, path: "\(path)[\($0.offset)]", marks: &marks, depth: depth + 1) })
        case .mapping(let map):
            var object: [String: JSONValue] = [:]
            for (k, v) in map {
                let key = k.scalar?.string ?? "?"
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let mark = k.mark { marks.keys[child] = mark }
                object[key] = value(v, path: child, marks: &marks, depth: depth + 1)
            }
            return .object(object)
        case .alias:
            return .null
        }
    }
}
