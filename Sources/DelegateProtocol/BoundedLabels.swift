import Synchronization

/// One metric label's values, bounded: the first `limit` distinct values keep their names, any later one is `other`.
///
/// Each label set is a series a Prometheus registry keeps for the life of the
/// process, and the values come from outside (task types a manager sends,
/// outcomes): bounded by design, whatever arrives. Shared by both daemons' metrics.
public final class BoundedLabels: Sendable {
    /// The most values kept by name.
    public let limit: Int
    private let seen = Mutex<Set<String>>([])

    /// Labels keeping at most `limit` values by name.
    public init(limit: Int = 64) {
        self.limit = limit
    }

    /// `value`, or `other` once `limit` other values have been seen.
    public func label(_ value: String) -> String {
        seen.withLock { s in
            if s.contains(value) { return value }
            guard s.count < limit else { return "other" }
            s.insert(value)
            return value
        }
    }
}
