import Foundation
import Hummingbird
import Logging
import ManagerCore
import Synchronization

/// `GET /healthz` and `GET /readyz`: for load balancers and Kubernetes probes, without a token, and saying nothing but the verdict.
///
/// `/healthz` answers 200 while the process serves HTTP. `/readyz` answers 200
/// when the storage answers and its schema is migrated, 503 otherwise (or when
/// the storage takes longer than `readinessLimit` to say): why is logged, not
/// answered, since anyone may ask. The verdict's changes are logged once each.
struct HealthController: Sendable {
    /// Whether the storage can serve; nil: a read of the repository decides.
    let readiness: (any StorageReadiness)?
    let repository: any ManagerRepository
    let logger: Logger
    /// How long `/readyz` waits for the storage before it answers 503.
    var readinessLimit: Duration = .seconds(2)
    private let lastVerdict = LastVerdict()

    /// The verdict last logged.
    private final class LastVerdict: Sendable {
        let ready = Mutex<Bool?>(nil)
    }

    /// The answers' body.
    struct Verdict: Codable, Sendable {
        var status: String
    }

    init(readiness: (any StorageReadiness)?, repository: any ManagerRepository, logger: Logger) {
        self.readiness = readiness
        self.repository = repository
        self.logger = logger
    }

    /// Adds both routes to `router` (before any authorization middleware, which would refuse them).
    func addRoutes(to router: Router<ManagerRequestContext>) {
        router.get("healthz") { _, _ in try json(Verdict(status: "ok")) }
        router.get("readyz") { _, _ in
            let why = await check()
            return try json(Verdict(status: why == nil ? "ready" : "unready"), status: why == nil ? .ok : .serviceUnavailable)
        }
    }

    /// Nil when ready; why not otherwise (logged when the verdict changes).
    func check() async -> String? {
        let readiness = readiness, repository = repository
        let answer = await firstOf(within: readinessLimit) { () async -> String? in
            if let readiness { return await readiness.unreadiness() }
            do {
                _ = try await repository.knownTaskTypes()
                return nil
            } catch {
                return "storage does not answer: \(error)"
            }
        }
        let why: String? = answer ?? "storage did not answer within \(readinessLimit)"
        let changed = lastVerdict.ready.withLock { last -> Bool in
            defer { last = why == nil }
            return last != (why == nil)
        }
        if changed {
            if let why { logger.warning("not ready: \(why)") } else { logger.info("ready") }
        }
        return why
    }
}

/// `body`'s answer, or nil when it takes longer than `limit`; a late body runs on in the background and its answer is dropped.
///
/// Unlike a task group, which waits for every child, this returns at the limit
/// even when `body` waits on something that ignores cancellation (a pooled
/// connection that a slow query holds).
func firstOf<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    let slot = AnswerSlot<T>()
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        slot.hold(continuation)
        let work = Task {
            let value = await body()
            slot.take()?.resume(returning: value)
        }
        Task {
            try? await Task.sleep(for: limit)
            if let late = slot.take() {
                late.resume(returning: nil)
                work.cancel()
            }
        }
    }
}

/// The continuation `firstOf` resumes once: by the body's answer or by the limit, whichever takes it first.
private final class AnswerSlot<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T?, Never>?>(nil)

    func hold(_ c: CheckedContinuation<T?, Never>) { continuation.withLock { $0 = c } }

    func take() -> CheckedContinuation<T?, Never>? { continuation.withLock { $0.take() } }
}
