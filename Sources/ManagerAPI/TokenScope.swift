/// What an API key may do; each scope includes the ones before it (admin ⊇ run ⊇ read).
public enum TokenScope: String, Codable, Sendable, CaseIterable, Comparable {
    /// List and follow tasks, executions and delegates.
    case read
    /// And submit, run, cancel and roll back.
    case run
    /// And manage connectors, secrets and tokens.
    case admin

    /// Ranks scopes by what they include.
    public static func < (a: TokenScope, b: TokenScope) -> Bool { a.rank < b.rank }

    /// The position of the scope in read < run < admin.
    private var rank: Int { TokenScope.allCases.firstIndex(of: self) ?? 0 }
}
