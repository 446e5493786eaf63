import Foundation
import Synchronization

/// A one-waiter wake-up flag: `signal` wakes the waiter, or the next `wait` returns at once.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }
    private let state = Mutex(State())

    /// Wakes the waiter (or marks the flag for the next wait).
    func signal() {
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
    func wait(timeout: Duration) async {
        let gen: Int? = state.withLock { s in
            if s.signalled {
                s.signalled = false
                return nil
            }
            s.generation += 1
            return s.generation
        }
        guard let gen else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
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
