import Yams

/// Measures what a YAML text expands to, with every alias counted in full, before anything composes it.
///
/// Composing is not safe on its own: Yams hashes mapping keys to find
/// duplicates, so a key that is an alias of a nested alias chain costs time
/// exponential in the text's size before the composed tree is ever returned.
/// The check composes a neutral copy of the text first, the same length and
/// structure but with no aliases in it: each `*name` becomes the plain scalar
/// `_name` and each anchor `&name` the tag `!name`. Walking that copy in the
/// order the composer works (an anchor is registered once its node is
/// complete), each alias is charged the full size of the node it names.
/// A genuine value spelled like a neutralised alias is overcharged, never
/// undercharged, so the bound holds whatever the text.
public enum YAMLExpansion {
    /// What went wrong: `line` and `column` are 1-based, where known.
    public struct Problem: Error, Sendable, Equatable {
        /// The 1-based line, where known.
        public var line: Int?
        /// The 1-based column, where known.
        public var column: Int?
        /// What is wrong.
        public var message: String
    }

    /// Throws a `Problem` when `text` expands to more than `maxNodes` nodes or nests deeper than `maxDepth`.
    ///
    /// Texts without aliases return at once. A YAML syntax error is rethrown as Yams reports it.
    public static func check(_ text: String, maxNodes: Int, maxDepth: Int) throws {
        var bytes = Array(text.utf8)
        var hasAlias = false
        for i in bytes.indices.dropLast() where isAnchorByte(bytes[i + 1]) {
            if bytes[i] == UInt8(ascii: "*") {
                bytes[i] = UInt8(ascii: "_")
                hasAlias = true
            } else if bytes[i] == UInt8(ascii: "&") {
                bytes[i] = UInt8(ascii: "!")
            }
        }
        guard hasAlias else { return }
        guard let root = try YAMLValues.compose(String(decoding: bytes, as: UTF8.self)) else { return }
        var walker = Walker(cap: maxNodes + 1, maxDepth: maxDepth)
        let total = try walker.size(root, depth: 1)
        if total > maxNodes {
            throw Problem(line: walker.firstAliasMark?.line, column: walker.firstAliasMark?.column,
                          message: "the manifest expands to more than \(maxNodes) values (YAML aliases count each time they are used)")
        }
    }

    /// libyaml's anchor characters: ASCII letters, digits, `_` and `-`.
    private static func isAnchorByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    /// Sizes nodes in composition order, charging each alias its anchor's size.
    private struct Walker {
        let cap: Int
        let maxDepth: Int
        var registered: [Substring: Int] = [:]
        var firstAliasMark: Mark?

        init(cap: Int, maxDepth: Int) {
            self.cap = cap
            self.maxDepth = maxDepth
        }

        mutating func size(_ node: Node, depth: Int) throws -> Int {
            if depth > maxDepth {
                throw Problem(line: node.mark?.line, column: node.mark?.column, message: "the manifest nests deeper than \(maxDepth) levels")
            }
            var total = 1
            switch node {
            case .scalar(let s):
                if s.style == .plain, s.string.hasPrefix("_"), let anchored = registered[s.string.dropFirst()] {
                    total = anchored
                    if firstAliasMark == nil { firstAliasMark = s.mark }
                }
            case .mapping(let m):
                for (k, v) in m {
                    total = min(cap, total + (try size(k, depth: depth + 1)))
                    total = min(cap, total + (try size(v, depth: depth + 1)))
                }
            case .sequence(let seq):
                for item in seq { total = min(cap, total + (try size(item, depth: depth + 1))) }
            case .alias:
                break
            }
            let tag = node.tag.rawValue
            if tag.hasPrefix("!"), !tag.hasPrefix("!!") {
                registered[tag.dropFirst()] = total
            }
            return total
        }
    }
}
