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

    /// Why `text` cannot be a free-text value (a description, an image name): empty, longer than `maxBytes`, or with control characters.
    public static func textProblem(_ text: String, maxBytes: Int) -> String? {
        if text.isEmpty { return "must not be empty" }
        if text.utf8.count > maxBytes { return "must be at most \(maxBytes) bytes (got \(text.utf8.count))" }
        if let c = text.unicodeScalars.first(where: isControl) {
            return "must not contain control characters (found U+\(String(c.value, radix: 16, uppercase: true)))"
        }
        return nil
    }

    /// Whether a scalar is a control or format character (C0, DEL, C1, bidi controls) or a line or paragraph separator:
    /// the one rule for what may not appear in a name, a tag or a line of text that ends up in a table or a log.
    public static func isControl(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    private static func problem(_ s: String, what: String, maxBytes: Int, allowSpaces: Bool) -> String? {
        if s.isEmpty { return "\(what) must not be empty" }
        if s.utf8.count > maxBytes { return "\(what) must be at most \(maxBytes) bytes (got \(s.utf8.count))" }
        for scalar in s.unicodeScalars {
            if isControl(scalar) {
                return "\(what) must not contain control characters (found U+\(String(scalar.value, radix: 16, uppercase: true)))"
            }
            if !allowSpaces && scalar.properties.isWhitespace { return "\(what) must not contain white space" }
        }
        if allowSpaces && s.trimmingCharacters(in: .whitespaces) != s { return "\(what) must not start or end with white space" }
        return nil
    }
}
