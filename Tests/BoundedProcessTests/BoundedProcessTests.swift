import BoundedProcess
import Foundation
import Testing

/// `BoundedProcess`: arguments as data, nothing inherited, output bounded, killed with its session on time-out.
@Suite struct BoundedProcessTests {
    @Test func argumentsAreDataAndTheEnvironmentIsOnlyWhatIsGiven() async throws {
        let out = try await BoundedProcess.run(
            "/bin/sh", ["-c", #"printf '%s|' "$@"; printf '%s' "${HOME:-unset}:${ONLY}""#, "sh", "--upload-pack=x", "; touch /tmp/never", "$(id)"],
            environment: ["ONLY": "given"], timeLimit: .seconds(10))
        #expect(out.exitCode == 0)
        #expect(out.standardOutput == "--upload-pack=x|; touch /tmp/never|$(id)|unset:given")
    }

    @Test func anExitCodeAndStandardErrorAreReported() async throws {
        let out = try await BoundedProcess.run("/bin/sh", ["-c", "echo oops >&2; exit 3"], environment: [:], timeLimit: .seconds(10))
        #expect(out.exitCode == 3 && out.ending == "exited with 3" && out.standardError == "oops\n")
    }

    @Test func outputBeyondTheLimitFails() async throws {
        await #expect(throws: BoundedProcess.Failure.outputTooLarge(limit: 1000)) {
            _ = try await BoundedProcess.run("/bin/sh", ["-c", "head -c 100000 /dev/zero"], environment: ["PATH": "/usr/bin:/bin"], maxOutput: 1000, timeLimit: .seconds(10))
        }
    }

    @Test func aChildPastItsTimeLimitIsKilledWithWhatItStarted() async throws {
        let marker = NSTemporaryDirectory() + "bounded-\(UUID().uuidString.prefix(8))"
        let started = ContinuousClock.now
        await #expect(throws: BoundedProcess.Failure.timedOut(.milliseconds(500))) {
            // A grandchild that would write the marker after 3 s, if it lived.
            _ = try await BoundedProcess.run("/bin/sh", ["-c", "(sleep 3; touch \(marker)) & sleep 30"], environment: ["PATH": "/usr/bin:/bin"], timeLimit: .milliseconds(500))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        try await Task.sleep(for: .seconds(4))
        #expect(!FileManager.default.fileExists(atPath: marker), "the session was killed, grandchild included")
    }

    @Test func aMissingExecutableCannotStart() async {
        await #expect(throws: BoundedProcess.Failure.self) {
            _ = try await BoundedProcess.run("/nonexistent/tool", [], environment: [:], timeLimit: .seconds(5))
        }
    }
}
