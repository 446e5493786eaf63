import Foundation
import Synchronization
import Timing

/// Wakes tasks waiting on a key (a delegate's poll, a task's log follow) the moment something changes.
///
/// A waiter arms a ticket, checks the state it cares about, then waits on the
/// ticket; `notify(key:)` or the timeout ends the wait. No polling loops.
/// Timeouts are `SleepTimers` sleeps, released when the wait ends: a long
/// poll answered at once leaves no timer behind for the rest of its `wait`.
public final class Notifier: Sendable {
    fileprivate final class Waiter: @unchecked Sendable {
        let lock = NSLock()
        var continuation: CheckedContinuation<Bool, Never>?
        var done = false
        var value = false
        /// Resumes once; later calls do nothing.
        func fire(_ value: Bool) {
            let c: CheckedContinuation<Bool, Never>? = lock.withLock {
                if done { return nil }
                done = true
                self.value = value
                let c = continuation
                continuation = nil
                return c
            }
            c?.resume(returning: value)
        }
    }

    private let state = Mutex(State())
    private struct State {
        var waiters: [String: [ObjectIdentifier: Waiter]] = [:]
        var shutDown = false
    }
    fileprivate let timers: SleepTimers

    /// Creates a notifier whose waits time out on `timers`.
    public init(timers: SleepTimers = .shared) {
        self.timers = timers
    }

    /// A registration made before checking state, so a notify between the check and the wait is not lost.
    public struct Ticket: Sendable {
        fileprivate let waiter: Waiter
        fileprivate let key: String
        fileprivate let notifier: Notifier

        /// Waits until notified (true) or `timeout` passes (false); returns at once if already notified.
        public func wait(timeout: Duration) async -> Bool {
            defer { notifier.remove(self) }
            let timers = notifier.timers
            let timer = Task {
                do { try await timers.sleep(for: timeout) } catch { return }
                waiter.fire(false)
            }
            defer { timer.cancel() }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                    let early: Bool? = waiter.lock.withLock {
                        if waiter.done { return waiter.value }
                        waiter.continuation = c
                        return nil
                    }
                    if let early { c.resume(returning: early) }
                }
            } onCancel: {
                waiter.fire(false)
            }
        }

        /// Withdraws the registration without waiting.
        public func cancel() { notifier.remove(self) }
    }

    /// Registers interest in `key`; check state, then `wait` on the ticket.
    ///
    /// After `shutDown()` the ticket is already fired: its wait returns at once.
    public func arm(key: String) -> Ticket {
        let waiter = Waiter()
        let armed = state.withLock { s in
            if s.shutDown { return false }
            s.waiters[key, default: [:]][ObjectIdentifier(waiter)] = waiter
            return true
        }
        if !armed { waiter.fire(true) }
        return Ticket(waiter: waiter, key: key, notifier: self)
    }

    /// Whether the manager is shutting down: waiters stop waiting and answer with what they have.
    public var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// Wakes every waiter and makes every later wait return at once (graceful shutdown).
    public func shutDown() {
        let ws = state.withLock { s in
            s.shutDown = true
            defer { s.waiters = [:] }
            return s.waiters.values.flatMap { $0.values }
        }
        for w in ws { w.fire(true) }
    }

    fileprivate func remove(_ ticket: Ticket) {
        state.withLock { s in
            s.waiters[ticket.key]?[ObjectIdentifier(ticket.waiter)] = nil
            if s.waiters[ticket.key]?.isEmpty == true { s.waiters[ticket.key] = nil }
        }
    }

    /// Wakes every waiter on `key`.
    public func notify(key: String) {
        let ws = state.withLock { $0.waiters[key].map { Array($0.values) } ?? [] }
        for w in ws { w.fire(true) }
    }

    /// Wakes every waiter whose key passes `filter`.
    public func notify(where filter: (String) -> Bool) {
        let ws = state.withLock { s in s.waiters.filter { filter($0.key) }.flatMap { $0.value.values } }
        for w in ws { w.fire(true) }
    }
}
