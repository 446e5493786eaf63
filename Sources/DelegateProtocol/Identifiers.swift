import Foundation

/// The rules for the names people give delegates: delegate names, tags and selectors.
///
/// They end up in tables, log lines and routing decisions, so both sides hold
/// them to the same rules: non-empty, bounded, and free of control characters
/// (a newline in a name would break every table that lists it).
public enum Identifiers {
    /// The longest tag or selector, in bytes.
    public static let maxTagBytes = 64
    /// The longest delegate name, in bytes.
    public static let maxNameBytes = 128
    /// The most tags a delegate, or selectors a task, may carry.
    public static let maxTags = 32

    /// Why `tag` cannot be a tag or selector, or nil when it can.
    public static func tagProblem(_ tag: String) -> String? {
        problem(tag, what: "a tag", maxBytes: maxTagBytes, allowSpaces: false)
    }

    /// Why `name` cannot be a delegate name, or nil when it can.
    public static func nameProblem(_ name: String) -> String? {
        problem(name, what: "a name", maxBytes: maxNameBytes, allowSpaces: true)
    }

    private static func problem(_ s: String, what: String, maxBytes: Int, allowSpaces: Bool) -> String? {
        if s.isEmpty { return "\(what) must not be empty" }
        if s.utf8.count > maxBytes { return "\(what) must be at most \(maxBytes) bytes (got \(s.utf8.count))" }
        for scalar in s.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                return "\(what) must not contain control characters (found U+\(String(scalar.value, radix: 16, uppercase: true)))"
            }
            if !allowSpaces && scalar.properties.isWhitespace { return "\(what) must not contain white space" }
        }
        if allowSpaces && s.trimmingCharacters(in: .whitespaces) != s { return "\(what) must not start or end with white space" }
        return nil
    }
}
