import Foundation
import Synchronization
import Timing

/// A one-waiter wake-up flag: `signal` wakes the waiter, or the next `wait` returns at once.
///
/// A wait's timeout is a `SleepTimers` sleep, released as soon as the wait
/// ends: a wait that is signalled first leaves no timer behind.
package final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }
    private let state = Mutex(State())
    private let timers: SleepTimers

    /// Creates a flag whose waits time out on `timers`.
    package init(timers: SleepTimers = .shared) {
        self.timers = timers
    }

    /// Wakes the waiter (or marks the flag for the next wait).
    package func signal() {
        let c: CheckedContinuation<Void, Never>? = state.withLock { s in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.signalled = true
            return nil
        }
        c?.resume()
    }

    /// Returns when signalled, after `timeout`, or when the task is cancelled.
    package func wait(timeout: Duration) async {
        let gen: Int? = state.withLock { s in
            if s.signalled {
                s.signalled = false
                return nil
            }
            s.generation += 1
            return s.generation
        }
        guard let gen else { return }
        let timers = self.timers
        let timer = Task { [weak self] in
            do { try await timers.sleep(for: timeout) } catch { return }
            self?.fire(generation: gen)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { s in
                    if s.signalled || s.generation != gen {
                        s.signalled = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            fire(generation: gen)
        }
    }

    private func fire(generation: Int) {
        let c: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard s.generation == generation else { return nil }
            s.generation += 1
            let w = s.waiter
            s.waiter = nil
            return w
        }
        c?.resume()
    }
}
