import Subprocess
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The one way the delegate starts a process: arguments as data, a whole environment given, output bounded, a time limit, and a session of its own.
///
/// Nothing blocks a thread while the child runs (swift-subprocess's async
/// I/O). On time-out or cancellation the child's session gets SIGTERM, then
/// SIGKILL after two seconds, so helpers it started (git's remote helpers, a
/// shell's children) go too. No argument is ever parsed by a shell unless the
/// caller runs one on purpose.
public enum BoundedProcess {
    /// How a run ended when it did not end with an exit status.
    public enum Failure: Error, Sendable, Equatable {
        /// The child printed more than the limit on standard output.
        case outputTooLarge(limit: Int)
        /// The child took longer than the time limit and was killed.
        case timedOut(Duration)
        /// The child could not be started (no such executable, ...).
        case couldNotStart(String)
    }

    /// What a finished child left: its exit code (nil when a signal ended it), standard output and standard error.
    public struct Outcome: Sendable, Equatable {
        /// The exit code, or nil when a signal ended the child.
        public var exitCode: Int32?
        /// How it ended, in words (`exited with 1`, `killed by signal 9`).
        public var ending: String
        public var standardOutput: String
        public var standardError: String
    }

    /// Runs `executable` (a path, or a name looked up in `PATH` of `environment`) with `arguments` in `directory`.
    ///
    /// `environment` is the child's whole environment; nothing is inherited.
    /// Standard input is empty; standard output is kept up to `maxOutput`
    /// bytes (more is `Failure.outputTooLarge`), standard error up to
    /// `maxError` bytes. Past `timeLimit` the child's session gets SIGTERM,
    /// and SIGKILL two seconds later (`Failure.timedOut`); when the calling
    /// task is cancelled it gets SIGKILL and `CancellationError` is thrown.
    /// The signals are sent here, to the session's process group, not left to
    /// the library's cancellation, so they reach a child however far its
    /// start-up had got.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
        maxOutput: Int = 64 << 10, maxError: Int = 64 << 10, timeLimit: Duration
    ) async throws -> Outcome {
        let session = Session()
        let outcome: Outcome = try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Event.self) { group in
                group.addTask {
                    .finished(try await spawn(executable, arguments, environment: environment, directory: directory, maxOutput: maxOutput, maxError: maxError, session: session))
                }
                group.addTask {
                    try await Task.sleep(for: timeLimit)
                    return .deadline
                }
                while let event = try await group.next() {
                    switch event {
                    case .finished(let outcome):
                        group.cancelAll()
                        if session.timedOut { throw Failure.timedOut(timeLimit) }
                        return outcome
                    case .deadline:
                        session.expire()
                        group.addTask {
                            try await Task.sleep(for: .seconds(2))
                            return .killNow
                        }
                    case .killNow:
                        session.signal(SIGKILL)
                    }
                }
                throw CancellationError()
            }
        } onCancel: {
            session.signal(SIGKILL)
        }
        return outcome
    }

    /// What the watchdog heard first.
    private enum Event: Sendable {
        case finished(Outcome)
        case deadline
        case killNow
    }

    /// The child's process group once it runs, and whether its time ran out.
    private final class Session: Sendable {
        private let state = Mutex<(pid: pid_t?, timedOut: Bool, pending: Int32?)>((nil, false, nil))

        /// Records the child's pid; a signal asked for before it started is sent now.
        func started(_ pid: pid_t) {
            let pending: Int32? = state.withLock { s in
                s.pid = pid
                defer { s.pending = nil }
                return s.pending
            }
            if let pending { kill(-pid, pending) }
        }

        /// Whether the time limit passed.
        var timedOut: Bool { state.withLock { $0.timedOut } }

        /// Marks the time limit passed and asks the session to end.
        func expire() {
            state.withLock { $0.timedOut = true }
            signal(SIGTERM)
        }

        /// Sends `sig` to the child's whole process group (its session), or once it starts.
        func signal(_ sig: Int32) {
            let pid: pid_t? = state.withLock { s in
                if s.pid == nil, s.pending != SIGKILL { s.pending = sig }
                return s.pid
            }
            if let pid { kill(-pid, sig) }
        }
    }

    /// Starts the child in a session of its own and collects its output.
    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String?, maxOutput: Int, maxError: Int, session: Session
    ) async throws -> Outcome {
        var env: [Environment.Key: String] = [:]
        for (k, v) in environment { env[Environment.Key(stringLiteral: k)] = v }
        var platform = PlatformOptions()
        platform.createSession = true
        let target: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
        do {
            let r = try await Subprocess.run(
                target, arguments: Arguments(arguments), environment: .custom(env), workingDirectory: directory.map { FilePath($0) },
                platformOptions: platform, input: .none, output: .string(limit: maxOutput), error: .string(limit: maxError)
            ) { execution in
                session.started(execution.processIdentifier.value)
            }
            switch r.terminationStatus {
            case .exited(let code):
                return Outcome(exitCode: code, ending: "exited with \(code)", standardOutput: r.standardOutput, standardError: r.standardError)
            case .signaled(let signal):
                return Outcome(exitCode: nil, ending: "killed by signal \(signal)", standardOutput: r.standardOutput, standardError: r.standardError)
            }
        } catch let e as SubprocessError where e.code == .outputLimitExceeded {
            session.signal(SIGKILL)
            throw Failure.outputTooLarge(limit: maxOutput)
        } catch is CancellationError {
            session.signal(SIGKILL)
            throw CancellationError()
        } catch {
            session.signal(SIGKILL)
            throw Failure.couldNotStart("\(error)")
        }
    }
}
