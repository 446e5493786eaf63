import ManagerCore
import Testing
import Timing

/// The notifier's shutdown state: parked waiters wake, later ones do not wait.
@Suite struct NotifierTests {
    @Test func shutDownWakesParkedWaitersAndLaterWaitsReturnAtOnce() async {
        let notifier = Notifier()
        let ticket = notifier.arm(key: "delegate:d")
        async let woke = ticket.wait(timeout: .seconds(600))
        try? await Task.sleep(for: .milliseconds(50))
        #expect(!notifier.isShutDown)
        notifier.shutDown()
        #expect(await woke)
        #expect(notifier.isShutDown)
        // Armed after shutdown: already fired, so a ten-minute wait returns true at once.
        #expect(await notifier.arm(key: "task:t").wait(timeout: .seconds(600)))
    }

    @Test func notifiedWaitsLeaveNoTimerArmed() async {
        let timers = SleepTimers()
        let notifier = Notifier(timers: timers)
        for i in 0..<100 {
            let ticket = notifier.arm(key: "task:\(i)")
            let waiter = Task { await ticket.wait(timeout: .seconds(60)) }
            let deadline = ContinuousClock.now + .seconds(5)
            while timers.armedCount == 0 && ContinuousClock.now < deadline { await Task.yield() }
            #expect(timers.armedCount == 1, "the wait's timeout is armed while it waits")
            notifier.notify(key: "task:\(i)")
            #expect(await waiter.value)
        }
        // A long poll answered at once must not keep its timer for the rest of its wait.
        #expect(timers.armedCount == 0)
    }
}
