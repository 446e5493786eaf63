/// Capped exponential backoff: the one curve every retry in the project follows (AWS calls, delegate deliveries, notifications).
///
/// Retry `attempt` (from 0) may wait up to `min(cap, base·2^attempt)`; the
/// caller's jitter, a fraction in [0, 1], picks where in that range.
public struct Backoff: Sendable, Equatable {
    /// The ceiling of the first retry.
    public var base: Duration
    /// The longest wait.
    public var cap: Duration

    /// A backoff from `base`, doubling, never above `cap`.
    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The longest wait before retry `attempt` (from 0; negative counts as 0): `min(cap, base·2^attempt)`, without overflow.
    public func ceiling(attempt: Int) -> Duration {
        let factor = Double(1 << min(max(attempt, 0), 30))
        return .seconds(min(base.seconds * factor, cap.seconds))
    }

    /// The wait before retry `attempt`: `jitter` (clamped to [0, 1]) of the ceiling.
    public func delay(attempt: Int, jitter: Double) -> Duration {
        let j = jitter.isNaN ? 1 : min(max(jitter, 0), 1)
        return .seconds(ceiling(attempt: attempt).seconds * j)
    }

    /// The wait before retry `attempt` with "equal jitter": a random point in the upper half of the ceiling, never less than a millisecond.
    public func equalJitterDelay(attempt: Int) -> Duration {
        max(.milliseconds(1), delay(attempt: attempt, jitter: Double.random(in: 0.5...1)))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (the one conversion every module uses).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
