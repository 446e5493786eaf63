import Yams

/// The bounds every manifest must stay within, wherever it comes from (inline, S3, Git, a file).
///
/// A manifest is input from outside: a few kilobytes of nested YAML aliases
/// expand to billions of nodes, so the size, the nodes visited with aliases
/// expanded, and the nesting depth are all capped before anything is rendered.
public struct ManifestLimits: Sendable, Equatable {
    /// The largest manifest text, in bytes (ECS itself takes task definitions of at most 64 KiB).
    public var maxBytes: Int
    /// The most nodes the manifest may expand to, counting every alias use in full.
    public var maxNodes: Int
    /// The deepest nesting of mappings and lists.
    public var maxDepth: Int

    /// The defaults: 1 MiB, 100,000 nodes, 64 levels.
    public static let standard = ManifestLimits(maxBytes: 1 << 20, maxNodes: 100_000, maxDepth: 64)

    /// Creates limits.
    public init(maxBytes: Int, maxNodes: Int, maxDepth: Int) {
        self.maxBytes = maxBytes
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
    }

    /// Throws when the text is too large to read.
    func checkSize(_ text: String, file: String) throws {
        let bytes = text.utf8.count
        if bytes > maxBytes {
            throw ManifestErrors(errors: [ManifestError(file: file, message: "the manifest is \(bytes) bytes; the limit is \(maxBytes) bytes")])
        }
    }

    /// Walks the composed document as rendering will (aliases expanded), throwing at the first node past a limit.
    ///
    /// Iterative, so a deep document cannot exhaust the stack here; it stops as
    /// soon as `maxNodes` is passed, so an alias bomb costs at most that many steps.
    func checkShape(_ root: Node, file: String) throws {
        var pending: [(node: Node, depth: Int)] = [(root, 1)]
        var visited = 0
        while let (node, depth) = pending.popLast() {
            visited += 1
            if visited > maxNodes {
                throw ManifestErrors(errors: [ManifestError(file: file, line: node.mark?.line, column: node.mark?.column, message: "the manifest expands to more than \(maxNodes) values (YAML aliases count each time they are used)")])
            }
            if depth > maxDepth {
                throw ManifestErrors(errors: [ManifestError(file: file, line: node.mark?.line, column: node.mark?.column, message: "the manifest nests deeper than \(maxDepth) levels")])
            }
            switch node {
            case .mapping(let m):
                for (k, v) in m {
                    pending.append((k, depth + 1))
                    pending.append((v, depth + 1))
                }
            case .sequence(let s):
                for item in s { pending.append((item, depth + 1)) }
            default:
                break
            }
        }
    }
}
