import Testing
import Timing

/// A cancelled sleep releases its timer at once; one that runs out returns after its duration.
@Suite struct SleepTimersTests {
    /// Waits (at most 30 s: a loaded test run starves its timers) until `condition` holds.
    func eventually(_ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func cancelledSleepsReleaseTheirTimersAtOnce() async {
        let timers = SleepTimers()
        let sleepers = (0..<200).map { _ in
            Task { () -> Bool in
                do {
                    try await timers.sleep(for: .seconds(3600))
                    return false
                } catch {
                    return error is CancellationError
                }
            }
        }
        await eventually { timers.armedCount == 200 }
        #expect(timers.armedCount == 200, "every hour-long sleep holds a timer while it sleeps")
        for s in sleepers { s.cancel() }
        // Each returns (rather than sleeping its hour) and says it was cancelled.
        for s in sleepers { #expect(await s.value, "a cancelled sleep throws CancellationError") }
        #expect(timers.armedCount == 0, "no cancelled sleep keeps its timer until its deadline")
    }

    @Test func aSleepThatRunsOutReturnsAfterItsDurationAndHoldsNothing() async throws {
        let timers = SleepTimers()
        let start = ContinuousClock.now
        try await timers.sleep(for: .milliseconds(50))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(timers.armedCount == 0)
    }

    @Test func aSleepInACancelledTaskThrowsWithoutArmingATimer() async {
        let timers = SleepTimers()
        let outcome = await Task { () -> Bool in
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                try await timers.sleep(for: .seconds(3600))
                return false
            } catch {
                return error is CancellationError
            }
        }.value
        #expect(outcome)
        #expect(timers.armedCount == 0)
    }
}
