import Foundation

/// Git repositories served over smart HTTP on loopback by git's own `http-backend` (`Tests/Fixtures/git_http_server.py`), with Basic auth.
final class GitHTTPServer: @unchecked Sendable {
    let child: Child
    /// `http://127.0.0.1:PORT`.
    let url: String
    /// The directory whose repositories are served (`<root>/NAME.git` is `url/NAME.git`).
    let root: String

    /// Starts the server over `root`; with `user` and `password`, every request must carry them (passed in the environment, never argv).
    init(dir: Scratch, root: String, user: String? = nil, password: String? = nil) async throws {
        self.root = root
        var env: [String: String] = [:]
        if let user, let password {
            env["GIT_TEST_USER"] = user
            env["GIT_TEST_PASSWORD"] = password
        }
        child = try Child("/usr/bin/env", ["python3", repoRoot + "/Tests/Fixtures/git_http_server.py", root], env: env, dir: dir, name: "git-http")
        var port = ""
        let c = child
        try await eventually(timeout: .seconds(30), "git http server listening") {
            guard let line = c.stdout.split(separator: "\n").first, line.hasPrefix("PORT ") else { return false }
            port = String(line.dropFirst(5))
            return true
        }
        url = "http://127.0.0.1:\(port)"
    }

    /// Makes the repository `root/NAME.git` holding `files` (path → text) on branch `main`; returns its URL.
    func repository(_ name: String, files: [String: String]) async throws -> String {
        let work = root + "/\(name)-work"
        for (path, text) in files {
            let full = work + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        for args in [
            ["-C", work, "init", "-q", "-b", "main"], ["-C", work, "add", "."],
            ["-C", work, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "manifests"],
            ["clone", "-q", "--bare", "--", work, root + "/\(name).git"],
        ] {
            let (status, _, err) = try await runCommand("/usr/bin/git", args)
            guard status == 0 else { throw HarnessError("git \(args.joined(separator: " ")) failed: \(err)") }
        }
        return url + "/\(name).git"
    }
}
