import DelegateProtocol

/// The rule for the names of stored connectors and secrets: they appear in URL paths, tables and log lines.
public enum ResourceName {
    /// Why `name` cannot name a connector or secret, or nil when it can.
    ///
    /// The tag rule (`Identifiers`: non-empty, at most 64 bytes, no white space
    /// or control characters), restricted to letters, digits, `.`, `_` and `-`
    /// so a name is one URL path segment as written.
    public static func problem(_ name: String) -> String? {
        if let why = Identifiers.tagProblem(name) { return why.replacingOccurrences(of: "a tag", with: "a name") }
        /// Whether `u` is an ASCII letter or digit.
        func alphanumeric(_ u: Unicode.Scalar) -> Bool { u.isASCII && (u.properties.isAlphabetic || u.properties.numericType != nil) }
        let allowed = name.unicodeScalars.allSatisfy { alphanumeric($0) || "._-".unicodeScalars.contains($0) }
        guard allowed, let first = name.unicodeScalars.first, alphanumeric(first) else {
            return "a name must start with an ASCII letter or digit and hold only ASCII letters, digits, '.', '_' and '-'"
        }
        return nil
    }
}
