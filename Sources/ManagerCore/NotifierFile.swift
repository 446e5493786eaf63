import DelegateProtocol
import Foundation
import ManagerAPI
import Manifests

/// Reads a notifier file (YAML or JSON) for `ecs-manager notifier apply`, with every problem at its `file:line:column`.
public enum NotifierFile {
    /// The largest notifier file read, bytes.
    public static let maxBytes = 16 << 10

    /// The notifier in `text` (from `file`), or every problem in it, each at its line and column.
    public static func parse(_ text: String, file: String) throws(ManifestErrors) -> NotifierSpec {
        try YAMLMemberFile.parse(
            text, file: file, maxBytes: maxBytes, what: "notifier", emptyHint: "a notifier is a mapping with name, url and events"
        ) { json throws(MemberProblems) in try NotifierSpec.parse(json) }
    }
}
