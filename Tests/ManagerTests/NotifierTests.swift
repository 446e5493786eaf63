import Manager
import Testing

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
}
