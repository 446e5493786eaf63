import Foundation

/// A JSON text nests arrays and objects deeper than allowed.
public struct JSONNestingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The deepest nesting allowed.
    public let limit: Int
    /// The byte offset where the limit was passed.
    public let offset: Int

    public var description: String { "JSON nested deeper than \(limit) levels (at byte \(offset))" }
}

/// The nesting bound for JSON from outside: payloads, manager answers, AWS answers.
///
/// Decoders recurse once per level, so an unbounded depth is a stack to exhaust
/// and a multi-kilobyte error to print; no message the project exchanges needs more than a few levels.
public enum JSONNesting {
    /// The deepest nesting accepted by default.
    public static let defaultLimit = 64

    /// Throws `JSONNestingError` when `data` nests arrays and objects deeper than `limit` (string contents are skipped).
    public static func check(_ data: Data, limit: Int = defaultLimit) throws {
        try data.withUnsafeBytes { try check($0, limit: limit) }
    }

    /// Throws `JSONNestingError` when `bytes` nests arrays and objects deeper than `limit` (string contents are skipped).
    ///
    /// On raw bytes, not a generic collection: unspecialised across modules, the manager spent more time in this
    /// loop (through `ByteBufferView`'s iterator) than in decoding a log batch.
    public static func check(_ bytes: UnsafeRawBufferPointer, limit: Int = defaultLimit) throws {
        var depth = 0
        var inString = false
        var escaped = false
        var offset = 0
        for b in bytes {
            defer { offset += 1 }
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { throw JSONNestingError(limit: limit, offset: offset) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }
}
