import Subprocess

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
    /// `maxError` bytes. Throws `CancellationError` when the calling task is
    /// cancelled (the child is killed).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
        maxOutput: Int = 64 << 10, maxError: Int = 64 << 10, timeLimit: Duration
    ) async throws -> Outcome {
        let result: Outcome? = try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                var env: [Environment.Key: String] = [:]
                for (k, v) in environment { env[Environment.Key(stringLiteral: k)] = v }
                var platform = PlatformOptions()
                platform.createSession = true
                platform.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
                let target: Executable = executable.contains("/") ? .path(FilePath(executable)) : .name(executable)
                do {
                    let r = try await Subprocess.run(
                        target, arguments: Arguments(arguments), environment: .custom(env), workingDirectory: directory.map { FilePath($0) },
                        platformOptions: platform, output: .string(limit: maxOutput), error: .string(limit: maxError))
                    switch r.terminationStatus {
                    case .exited(let code):
                        return Outcome(exitCode: code, ending: "exited with \(code)", standardOutput: r.standardOutput, standardError: r.standardError)
                    case .signaled(let signal):
                        return Outcome(exitCode: nil, ending: "killed by signal \(signal)", standardOutput: r.standardOutput, standardError: r.standardError)
                    }
                } catch let e as SubprocessError where e.code == .outputLimitExceeded {
                    throw Failure.outputTooLarge(limit: maxOutput)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw Failure.couldNotStart("\(error)")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeLimit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let result else { throw Failure.timedOut(timeLimit) }
        return result
    }
}
