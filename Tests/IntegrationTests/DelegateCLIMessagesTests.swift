import Foundation
import Testing

/// What `ecs-delegate` says when something is wrong: the words a user reads, not a library's.
@Suite struct DelegateCLIMessagesTests {
    @Test func statusWithoutARunningDelegateNamesTheSocket() async throws {
        let dir = try Scratch("cli-status")
        let socket = dir.file("absent.sock")
        let status = try Child(binDir + "/ecs-delegate", ["status", "--socket", socket], dir: dir, name: "status")
        #expect(await status.wait(timeout: .seconds(120)) != 0)
        #expect(status.stderr.contains("no status socket at \(socket): is ecs-delegate running?"))
        #expect(!status.stderr.contains("port 80"))
        // A socket file nobody listens on.
        let stale = dir.file("stale.sock")
        FileManager.default.createFile(atPath: stale, contents: nil)
        let status2 = try Child(binDir + "/ecs-delegate", ["status", "--socket", stale], dir: dir, name: "status2")
        #expect(await status2.wait(timeout: .seconds(120)) != 0)
        #expect(status2.stderr.contains("cannot reach the delegate's status socket \(stale)"))
        #expect(!status2.stderr.contains("port 80"))
    }

    @Test func configCheckRefusesWhatWouldTrapLater() async throws {
        let dir = try Scratch("cli-config")
        let token = try dir.write("token", "t0ken")
        chmod(token, 0o644)
        let config = try dir.write("d.yaml", """
            manager_url: http://127.0.0.1:1
            token_file: \(token)
            tags: [ecs, "", 5, null]
            shutdown_grace_seconds: 1e20
            status_socket: /run/\(String(repeating: "s", count: 120)).sock
            """)
        let check = try Child(binDir + "/ecs-delegate", ["config", "check", "--config", config], dir: dir, name: "check")
        #expect(await check.wait(timeout: .seconds(120)) == 2)
        for expected in ["tags[1]: a tag must not be empty", "tags[2]: expected a string, got '5'", "tags[3]: expected a non-empty string, got null",
                         "shutdown_grace_seconds: expected a number of seconds from 0 to 86400", "status_socket: expected a socket path of at most 107 bytes"] {
            #expect(check.stderr.contains(expected), "\(expected) in \(check.stderr)")
        }
        let ok = try dir.write("ok.yaml", "manager_url: http://127.0.0.1:1\ntoken_file: \(token)\ntags: [ecs]\nstatus_socket: \(dir.file("s.sock"))\n")
        let check2 = try Child(binDir + "/ecs-delegate", ["config", "check", "--config", ok], dir: dir, name: "check2")
        #expect(await check2.wait(timeout: .seconds(120)) == 0)
        #expect(check2.stderr.contains("warning: token file \(token) is readable by group or others (mode 0644)"))
        #expect(!check2.stderr.contains("t0ken"))
    }
}
