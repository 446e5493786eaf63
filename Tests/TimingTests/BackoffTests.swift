import Testing
import Timing

/// The one backoff curve: doubling from the base, capped, jitter a fraction of the ceiling, no overflow.
@Suite struct BackoffTests {
    let curve = Backoff(base: .milliseconds(250), cap: .seconds(30))

    @Test func theCeilingDoublesUntilTheCap() {
        #expect(curve.ceiling(attempt: 0) == .milliseconds(250))
        #expect(curve.ceiling(attempt: 1) == .milliseconds(500))
        #expect(curve.ceiling(attempt: 6) == .seconds(16))
        #expect(curve.ceiling(attempt: 7) == .seconds(30))
        #expect(curve.ceiling(attempt: 10_000) == .seconds(30), "a huge attempt neither traps nor overflows")
        #expect(curve.ceiling(attempt: -3) == .milliseconds(250))
    }

    @Test func jitterIsAFractionOfTheCeiling() {
        #expect(curve.delay(attempt: 2, jitter: 0) == .zero)
        #expect(curve.delay(attempt: 2, jitter: 0.5) == .milliseconds(500))
        #expect(curve.delay(attempt: 2, jitter: 7) == .seconds(1), "clamped to the ceiling")
        #expect(curve.delay(attempt: 2, jitter: .nan) == .seconds(1))
        for attempt in 0..<12 {
            let d = curve.equalJitterDelay(attempt: attempt)
            #expect(d >= curve.ceiling(attempt: attempt) / 2 && d <= curve.ceiling(attempt: attempt))
        }
    }
}
