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
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "._-".unicodeScalars.contains($0)) }
        return allowed ? nil : "a name may hold only ASCII letters, digits, '.', '_' and '-'"
    }
}
