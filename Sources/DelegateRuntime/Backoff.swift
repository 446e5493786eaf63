/// Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^attempt)].
func backoff(attempt: Int, base: Duration, cap: Duration) -> Duration {
    let exp = base * (1 << min(attempt, 20))
    let ceiling = min(exp, cap)
    let ms = max(1, Int(ceiling.components.seconds * 1000 + ceiling.components.attoseconds / 1_000_000_000_000_000))
    return .milliseconds(Int.random(in: ms / 2...ms))
}
