import Digests
import Foundation

/// Where task ids come from.
public enum TaskIdentifier {
    /// A fresh task id, `task-` and a UUID.
    public static func make() -> String { "task-" + UUID().uuidString.lowercased() }

    /// The id of the `ordinal`-th task an execution starts, for its step run `key`: the same every time it is computed.
    ///
    /// The orchestrator submits a step's task under this id and then saves the
    /// execution. A manager killed between the two submits again after its
    /// restart, with the same id, and finds the task already there: a step
    /// runs once however the manager dies (the `UUID` is SHA-256 of the three
    /// parts, shaped as a version 8 UUID).
    public static func forStep(execution: String, ordinal: Int, key: String) -> String {
        let hex = Array(SHA256Digest.hex(Array("\(execution)\u{0}\(ordinal)\u{0}\(key)".utf8)).prefix(32))
        var chars = hex
        chars[12] = "8"  // version 8: custom
        let variant = "89ab"
        if let v = hex[16].hexDigitValue { chars[16] = Array(variant)[v % 4] }
        let s = String(chars)
        let parts = [s.prefix(8), s.dropFirst(8).prefix(4), s.dropFirst(12).prefix(4), s.dropFirst(16).prefix(4), s.dropFirst(20)]
        return "task-" + parts.joined(separator: "-")
    }
}
