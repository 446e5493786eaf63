import Foundation
import Synchronization

/// The earliest time an execution held at a gate or a retry is due: the orchestrator sweeps then rather than on its next quiet sweep.
///
/// Times of this process's clock; a replica that drives nothing keeps its own
/// (each replica sweeps every execution still running).
final class WakeupSchedule: Sendable {
    private let earliest = Mutex<Date?>(nil)

    /// Creates an empty schedule.
    init() {}

    /// Asks for a sweep at `when` (kept if it is earlier than the one asked for so far).
    func schedule(_ when: Date) {
        earliest.withLock { e in
            if e.map({ when < $0 }) ?? true { e = when }
        }
    }

    /// Whether a sweep is due at `now`; a due time is forgotten once reported (the sweep schedules what is still held).
    func takeDue(now: Date) -> Bool {
        earliest.withLock { e in
            guard let when = e, when <= now else { return false }
            e = nil
            return true
        }
    }
}
