import Foundation
import Synchronization

/// A test's way to kill the manager at the one moment that matters for crash safety (`OrchestratorCrashTests`).
///
/// With `ECS_MANAGER_TEST_KILL_AFTER_STEP_SUBMITS=N` in its environment, the
/// manager sends itself SIGKILL right after the Nth step task is queued and
/// before the execution that records it is saved. Unset (always, outside
/// tests) it does nothing.
enum CrashPoint {
    /// The submission after which the process dies, if the environment names one.
    static let killAfterStepSubmits: Int? = ProcessInfo.processInfo.environment["ECS_MANAGER_TEST_KILL_AFTER_STEP_SUBMITS"].flatMap { Int($0) }
    /// Step tasks queued so far by this process.
    private static let stepSubmits = Atomic<Int>(0)

    /// Counts a queued step task; kills the process when the count reaches the limit.
    static func stepSubmitted() {
        guard let limit = killAfterStepSubmits else { return }
        if stepSubmits.wrappingAdd(1, ordering: .relaxed).newValue >= limit { kill(getpid(), SIGKILL) }
    }
}
