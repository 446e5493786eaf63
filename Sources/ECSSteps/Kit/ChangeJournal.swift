import Synchronization

/// What a step changed in AWS so far, in order, so a failure or a cancellation can say so.
package final class ChangeJournal: Sendable {
    private let entries = Mutex<[String]>([])

    /// Records one change, e.g. "registered task definition web:3".
    package func record(_ change: String) {
        entries.withLock { $0.append(change) }
    }

    /// The changes so far.
    var all: [String] { entries.withLock { $0 } }

    /// "nothing was changed in AWS" or "already changed: a; b", for a result message.
    var summary: String {
        let changes = all
        return changes.isEmpty ? "nothing was changed in AWS" : "already changed: " + changes.joined(separator: "; ")
    }
}
