import Foundation
import Synchronization

/// The manager's base URLs (replicas on one database) and the one calls go to now; a failed call moves on to the next.
///
/// Shared by every copy of a `ManagerClient`, so the long poll, the heartbeat
/// and the log pump all move together. Several calls failing on the same URL
/// at once move it on once.
public final class ManagerEndpoints: Sendable {
    /// One base URL and its place in the list.
    public struct Endpoint: Sendable, Equatable {
        public let index: Int
        public let url: String
    }

    /// Every base URL, without trailing slashes, in the order they are tried.
    public let urls: [String]
    private let state = Mutex((index: 0, moves: 0))
    private let onMove = Mutex<(@Sendable (_ from: String, _ to: String, _ why: String) -> Void)?>(nil)

    /// The list `urls` (an empty list means the default local manager).
    public init(urls: [String]) {
        let cleaned = urls.map { u in
            var base = u
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }
        self.urls = cleaned.isEmpty ? ["http://127.0.0.1:8181"] : cleaned
    }

    /// The base URL to call now.
    public var current: Endpoint {
        let i = state.withLock { $0.index }
        return Endpoint(index: i, url: urls[i % urls.count])
    }

    /// How many times calls moved to another URL.
    public var moves: Int { state.withLock { $0.moves } }

    /// Calls `handler` (from, to, why) whenever calls move to another URL, e.g. to log it.
    public func onMove(_ handler: @escaping @Sendable (_ from: String, _ to: String, _ why: String) -> Void) {
        onMove.withLock { $0 = handler }
    }

    /// A call to `endpoint` got no answer: the next URL is used, unless another call already moved on.
    public func failed(_ endpoint: Endpoint, why: String) {
        guard urls.count > 1 else { return }
        let moved: Int? = state.withLock { s in
            guard s.index == endpoint.index else { return nil }
            s.index = (s.index + 1) % urls.count
            s.moves += 1
            return s.index
        }
        if let moved, let handler = onMove.withLock({ $0 }) { handler(endpoint.url, urls[moved], why) }
    }
}
