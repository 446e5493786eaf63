import Foundation
import Synchronization

/// The first bytes of a probe's answer, kept as libcurl hands them over; the rest is dropped as it arrives.
final class ProbeBodyPrefix: Sendable {
    /// The most bytes kept.
    private let limit: Int
    /// The bytes kept so far.
    private let kept = Mutex(Data())

    /// Keeps at most `limit` bytes.
    init(limit: Int) { self.limit = max(0, limit) }

    /// Adds a chunk, up to the limit.
    func append(_ chunk: Data) {
        kept.withLock { d in
            let room = limit - d.count
            if room > 0 { d.append(chunk.prefix(room)) }
        }
    }

    /// What was kept.
    var data: Data { kept.withLock { $0 } }
}
