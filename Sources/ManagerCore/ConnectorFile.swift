import DelegateProtocol
import Foundation
import ManagerAPI
import Manifests

/// Reads a connector file (YAML or JSON) for `ecs-manager connector apply`, with every problem at its `file:line:column`.
public enum ConnectorFile {
    /// The largest connector file read, bytes.
    public static let maxBytes = 64 << 10

    /// The connector in `text` (from `file`), or every problem in it, each at its line and column.
    public static func parse(_ text: String, file: String) throws(ManifestErrors) -> Connector {
        try YAMLMemberFile.parse(
            text, file: file, maxBytes: maxBytes, what: "connector", emptyHint: "a connector is a mapping with name, type and its members"
        ) { json throws(MemberProblems) in try Connector.parse(json) }
    }
}
