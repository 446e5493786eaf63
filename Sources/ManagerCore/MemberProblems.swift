import Foundation

/// One thing wrong with a connector or notifier (a mapping read member by member): the member's path (e.g. `credentials.roleArn`) and what is wrong.
public struct MemberProblem: Sendable, Equatable {
    /// Where: the member, or for a missing member the object that lacks it ("" is the top level).
    public var path: String
    /// Whether `path` names a member that should not be there (the key itself is at fault).
    public var isUnknownMember: Bool
    /// What is wrong.
    public var message: String
}

/// Every problem found in one connector or notifier.
public struct MemberProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [MemberProblem]
    public var description: String {
        problems.map { ($0.path.isEmpty ? "" : "\($0.path): ") + $0.message }.joined(separator: "; ")
    }
}
