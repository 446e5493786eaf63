import Foundation

/// The long poll over a wake-up bus: try, and try again each time the key is notified, until an answer or the deadline.
extension WakeupBus {
    /// Runs `attempt` until it answers, again each time `key` is notified, until `deadline` or shutdown; its argument says whether this is the last try.
    ///
    /// The ticket is armed before each attempt, so a change between the attempt
    /// and the wait is never lost. Nil when the last try did not answer either.
    package func poll<T>(key: String, until deadline: ContinuousClock.Instant, _ attempt: (_ last: Bool) async throws -> T?) async throws -> T? {
        while true {
            let ticket = arm(key: key)
            let last = isShutDown || ContinuousClock.now >= deadline || Task.isCancelled
            let answer: T?
            do {
                answer = try await attempt(last)
            } catch {
                ticket.cancel()
                throw error
            }
            if answer != nil || last {
                ticket.cancel()
                return answer
            }
            _ = await ticket.wait(timeout: deadline - ContinuousClock.now)
        }
    }
}
