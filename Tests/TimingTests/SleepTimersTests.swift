import Testing
import Timing

/// A cancelled sleep releases its timer at once; one that runs out returns after its duration.
@Suite struct SleepTimersTests {
    /// Waits (at most 5 s) until `condition` holds.
    func eventually(_ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + .seconds(5)
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
        let cancelledAt = ContinuousClock.now
        for s in sleepers { s.cancel() }
        for s in sleepers { #expect(await s.value, "a cancelled sleep throws CancellationError") }
        #expect(ContinuousClock.now - cancelledAt < .seconds(5), "cancelled sleeps return at once")
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
