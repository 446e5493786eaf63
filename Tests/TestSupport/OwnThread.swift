import Foundation

/// Runs blocking work (a child process waited for, a database server started) on a thread of its own, and awaits it.
///
/// Swift concurrency has as many threads as cores (two here). A test that
/// blocks one of them while `initdb` or `openssl` runs stalls every other
/// suite's in-process servers and timers in the same test process: under a
/// CPU hog that turned into 10-second time-outs in unrelated suites.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        Thread { c.resume(with: Result { try body() }) }.start()
    }
}
