import AWSCore
import Timing

/// The kit's waiting: reads that outlast throttling, cancellation checks, and pauses cancellation cuts short.
extension StepRun {
    /// Runs a read again, with backoff, while AWS throttles it beyond the client's own retries.
    ///
    /// The delays are the client's own (`RetryConfiguration.backoff`, the one backoff), continued
    /// from where its attempts stopped: a read is never failed by throttling alone within five more.
    func patiently<T>(_ body: () async throws -> T) async throws -> T {
        let retry = try clients().client.configuration.retry
        for extra in 0..<5 {
            do {
                return try await body()
            } catch let e as AWSError where e.isThrottling {
                let delay = retry.backoff(attempt: min(retry.maxAttempts, 30) + extra)  // backoff stops growing at 30 anyway
                logger.debug("throttled; backing off", metadata: ["code": "\(e.code)", "delay": "\(delay)"])
                try await retry.sleep(delay)
            }
        }
        return try await body()
    }

    /// Throws `CancellationError` once the task is cancelled, by its Swift task or by the manager's word on the log.
    func checkCancelled() throws {
        try Task.checkCancellation()
        if log.cancelRequested { throw CancellationError() }
    }

    /// Waits `duration` on a timer that cancellation releases at once; throws `CancellationError` when the task is cancelled before or during it.
    func pause(for duration: Duration) async throws {
        try checkCancelled()
        try await SleepTimers.shared.sleep(for: duration)
        try checkCancelled()
    }
}
