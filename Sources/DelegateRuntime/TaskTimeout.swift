import DelegateProtocol
import Timing

/// A task's handler raced against its `timeoutSeconds`.
///
/// The timer is a `SleepTimers` sleep, cancelled the moment the handler ends,
/// so a finished task leaves nothing armed behind. With `Task.sleep` every
/// task left its timeout's job and dispatch timer allocated for the full
/// timeout (1,800 s by default) after it ended: 0.73 MiB of the delegate's
/// memory per 1,000 tasks (issue 29).
package enum TaskTimeout {
    /// The handler's own outcome, or a `timeout` `TaskError` when `seconds` pass first.
    ///
    /// The handler's outcome wins over a cancelled timer: a step that was cancelled
    /// reports what it had changed (its `TaskFailure`), not a bare `CancellationError`.
    package static func run(
        seconds: Int, timers: SleepTimers = .shared, _ handler: @escaping @Sendable () async throws -> TaskOutcome
    ) async -> Result<TaskOutcome, Error> {
        await withTaskGroup(of: Result<TaskOutcome, Error>?.self) { group in
            group.addTask {
                do { return .success(try await handler()) } catch { return .failure(error) }
            }
            group.addTask {
                do { try await timers.sleep(for: .seconds(seconds)) } catch { return nil }
                return .failure(TaskError(code: "timeout", message: "the task did not finish within \(seconds) s"))
            }
            for await outcome in group {
                if let outcome {
                    group.cancelAll()
                    return outcome
                }
            }
            return .failure(CancellationError())
        }
    }
}
