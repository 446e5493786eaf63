import BoundedProcess
import Foundation
import Testing

/// `BoundedProcess`: arguments as data, nothing inherited, output bounded, killed with its session on time-out.
@Suite struct BoundedProcessTests {
    @Test func argumentsAreDataAndTheEnvironmentIsOnlyWhatIsGiven() async throws {
        let out = try await BoundedProcess.run(
            "/bin/sh", ["-c", #"printf '%s|' "$@"; printf '%s' "${HOME:-unset}:${ONLY}""#, "sh", "--upload-pack=x", "; touch /tmp/never", "$(id)"],
            environment: ["ONLY": "given"], timeLimit: .seconds(60))
        #expect(out.exitCode == 0)
        #expect(out.standardOutput == "--upload-pack=x|; touch /tmp/never|$(id)|unset:given")
    }

    @Test func anExitCodeAndStandardErrorAreReported() async throws {
        let out = try await BoundedProcess.run("/bin/sh", ["-c", "echo oops >&2; exit 3"], environment: [:], timeLimit: .seconds(60))
        #expect(out.exitCode == 3 && out.ending == "exited with 3" && out.standardError == "oops\n")
    }

    @Test func outputBeyondTheLimitFails() async throws {
        await #expect(throws: BoundedProcess.Failure.outputTooLarge(limit: 1000)) {
            _ = try await BoundedProcess.run("/bin/sh", ["-c", "head -c 100000 /dev/zero"], environment: ["PATH": "/usr/bin:/bin"], maxOutput: 1000, timeLimit: .seconds(60))
        }
    }

    @Test func aChildPastItsTimeLimitIsKilledWithWhatItStarted() async throws {
        let pidFile = NSTemporaryDirectory() + "bounded-\(UUID().uuidString.prefix(8)).pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        await #expect(throws: BoundedProcess.Failure.timedOut(.milliseconds(500))) {
            // A grandchild in the background that writes its pid, then sleeps longer than anyone waits.
            _ = try await BoundedProcess.run(
                "/bin/sh", ["-c", "sh -c 'echo $$ > \(pidFile); exec sleep 600' & sleep 600"], environment: ["PATH": "/usr/bin:/bin"], timeLimit: .milliseconds(500))
        }
        // The grandchild went with its session (no timing asserted: a starved test run may signal late, but it signals).
        var pid: pid_t?
        var gone = false
        for _ in 0..<600 where !gone {
            if pid == nil, let text = try? String(contentsOfFile: pidFile, encoding: .utf8) { pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let pid { gone = kill(pid, 0) != 0 && errno == ESRCH } else if !FileManager.default.fileExists(atPath: pidFile) && pid == nil {
                // Killed before it could write its pid: nothing of it is left either.
                gone = true
            }
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "the grandchild \(pid.map(String.init) ?? "?") outlived its session's time limit")
    }

    @Test func aMissingExecutableCannotStart() async {
        await #expect(throws: BoundedProcess.Failure.self) {
            _ = try await BoundedProcess.run("/nonexistent/tool", [], environment: [:], timeLimit: .seconds(5))
        }
    }
}
