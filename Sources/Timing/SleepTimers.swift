import Dispatch
import Synchronization

/// Sleeps whose timers are released the moment they are cancelled, with a count of the timers armed.
///
/// `Task.sleep` on Linux schedules its wake-up with `dispatch_after`, which
/// cannot be withdrawn: a cancelled sleep returns at once, but its job and
/// dispatch timer (about 500 bytes) stay allocated until the original deadline.
/// A timeout that almost never fires (a task's `timeoutSeconds`, 1,800 s by
/// default) or a wait that is usually signalled first then costs memory for its
/// whole length, once per use: 0.73 MiB per 1,000 tasks in a soak (issue 29).
/// Here each sleep owns a `DispatchSourceTimer` that cancellation cancels, so a
/// cancelled sleep holds nothing. Use it for every sleep that is expected to be
/// cancelled; plain `Task.sleep` is fine for sleeps that run to their end.
public final class SleepTimers: Sendable {
    /// The timers every caller shares unless it passes its own (tests count their own).
    public static let shared = SleepTimers()

    private let armed = Atomic<Int>(0)

    /// Creates a set of timers with its own count.
    public init() {}

    /// Timers armed now: sleeps neither finished nor cancelled.
    public var armedCount: Int { armed.load(ordering: .relaxed) }

    /// Sleeps for `duration`; throws `CancellationError` at once when the task is cancelled, releasing the timer.
    public func sleep(for duration: Duration) async throws {
        let sleeper = Sleeper(counter: self)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                sleeper.start(c, after: duration)
            }
        } onCancel: {
            sleeper.finish(throwing: CancellationError())
        }
    }

    fileprivate func noteArmed() { armed.add(1, ordering: .relaxed) }
    fileprivate func noteReleased() { armed.subtract(1, ordering: .relaxed) }
}

/// One sleep: its continuation and its timer, released together by whichever comes first, the deadline or cancellation.
private final class Sleeper: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, Error>?
        var timer: TimerSource?
        var finished = false
    }
    private let state = Mutex(State())
    private let counter: SleepTimers

    init(counter: SleepTimers) {
        self.counter = counter
    }

    func start(_ c: CheckedContinuation<Void, Error>, after duration: Duration) {
        let source = TimerSource()
        source.timer.setEventHandler { [self] in finish(throwing: nil) }
        source.timer.schedule(deadline: .now() + .nanoseconds(Self.nanoseconds(duration)))
        let armed: Bool = state.withLock { s in
            if s.finished { return false }
            s.continuation = c
            s.timer = source
            return true
        }
        guard armed else {
            // Cancelled before it began. Dispatch must not release a source that was never activated: cancel, then activate it.
            source.timer.cancel()
            source.timer.resume()
            c.resume(throwing: CancellationError())
            return
        }
        counter.noteArmed()
        source.timer.resume()
    }

    /// Ends the sleep once: resumes the caller and cancels the timer (later calls do nothing).
    func finish(throwing error: Error?) {
        let taken: (CheckedContinuation<Void, Error>?, TimerSource?) = state.withLock { s in
            if s.finished { return (nil, nil) }
            s.finished = true
            defer {
                s.continuation = nil
                s.timer = nil
            }
            return (s.continuation, s.timer)
        }
        let (c, source) = taken
        if let source {
            source.timer.cancel()
            counter.noteReleased()
        }
        if let error {
            c?.resume(throwing: error)
        } else {
            c?.resume()
        }
    }

    /// A duration as dispatch nanoseconds: negative is now, and anything past about 136 years is capped there.
    static func nanoseconds(_ d: Duration) -> Int {
        let (seconds, attoseconds) = d.components
        if seconds < 0 { return 0 }
        let capped = min(seconds, 1 << 32)
        return Int(capped) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
    }
}

/// A dispatch timer passed between the sleeper's lock and its callers.
///
/// `@unchecked Sendable`: the timer is configured before it is shared, and
/// afterwards only `resume` (once, by `start`) and `cancel` (by `finish`, or by
/// `start` when the sleep was cancelled before it began) are called on it, both
/// of which dispatch allows from any thread and in either order.
private final class TimerSource: @unchecked Sendable {
    let timer: any DispatchSourceTimer = DispatchSource.makeTimerSource(queue: .global())
}
