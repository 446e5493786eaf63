import DelegateRuntime
import Testing
import Timing

/// A signalled wait returns at once and leaves no timer behind; an unsignalled one times out.
@Suite struct WakeupTests {
    @Test func signalledWaitsLeaveNoTimerArmed() async {
        let timers = SleepTimers()
        let wakeup = Wakeup(timers: timers)
        for _ in 0..<100 {
            let waiter = Task { await wakeup.wait(timeout: .seconds(3600)) }
            let deadline = ContinuousClock.now + .seconds(5)
            while timers.armedCount == 0 && ContinuousClock.now < deadline { await Task.yield() }
            #expect(timers.armedCount == 1, "the wait's timeout is armed while it waits")
            wakeup.signal()
            await waiter.value
        }
        #expect(timers.armedCount == 0, "a wait that was signalled does not keep its hour-long timer")
    }

    @Test func anUnsignalledWaitTimesOut() async {
        let timers = SleepTimers()
        let wakeup = Wakeup(timers: timers)
        let start = ContinuousClock.now
        await wakeup.wait(timeout: .milliseconds(50))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(timers.armedCount == 0)
    }
}
