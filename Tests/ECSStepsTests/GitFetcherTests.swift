import DelegateProtocol
import Foundation
import Manifests
import TestSupport
import Testing

@testable import ECSSteps

/// `GitFetcher` (issue 21): git itself is held to the allowed transports, and no reference reaches git as an option.
@Suite struct GitFetcherTests {
    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "gitfetch-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the system git with `args` in `dir`; its exit status.
    func rawGit(_ args: [String], in dir: String) throws -> Int32 {
        try sh(["git"] + args, in: dir)
    }

    /// A local repository with `td.yaml` on `main`.
    func localRepository(in dir: String) throws -> String {
        let repo = dir + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        try "family: f\n".write(toFile: repo + "/td.yaml", atomically: true, encoding: .utf8)
        #expect(try rawGit(["init", "-q", "-b", "main"], in: repo) == 0)
        #expect(try rawGit(["add", "."], in: repo) == 0)
        #expect(try rawGit(["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "m"], in: repo) == 0)
        return repo
    }

    @Test func theIssuesArgumentsRunACommandWithoutDashDashAndNothingWithIt() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try localRepository(in: dir)
        let marker = dir + "/pwned"
        // The control: the argv the delegate used to build runs the command (so the marker would catch a regression).
        #expect(try rawGit(["init", "-q", "work"], in: dir) == 0)
        _ = try rawGit(["-C", "work", "fetch", "-q", "--depth", "1", "--upload-pack=touch \(marker)", repo, "main"], in: dir)
        #expect(FileManager.default.fileExists(atPath: marker), "the unguarded argv runs --upload-pack")
        try FileManager.default.removeItem(atPath: marker)

        // Ours: the same strings as data after `--`, and git held to https.
        let work = dir + "/ours"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let git = GitFetcher.Invocation(directory: work, allowed: [.https])
        _ = try await git.run(["init", "-q"], failure: "init")
        for (url, ref) in [("--upload-pack=touch \(marker)", "main"), (repo, "--upload-pack=touch \(marker)"), ("https://127.0.0.1:1/r.git", "--upload-pack=touch \(marker)")] {
            await #expect(throws: TaskError.self, "\(url) \(ref)") {
                _ = try await git.run(["fetch", "-q", "--depth", "1", "--", url, ref], failure: "fetch")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "no command ran")
    }

    @Test func gitItselfRefusesExtFileAndLocalPathsWhenOnlyHTTPSIsAllowed() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repo = try localRepository(in: dir)
        let marker = dir + "/pwned"
        let work = dir + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let git = GitFetcher.Invocation(directory: work, allowed: [.https])
        _ = try await git.run(["init", "-q"], failure: "init")
        for url in ["ext::sh -c touch% \(marker)", "file://\(repo)", repo] {
            do {
                _ = try await git.run(["fetch", "-q", "--depth", "1", "--", url, "main"], failure: "fetch")
                Issue.record("\(url) was fetched")
            } catch let e as TaskError {
                #expect(e.message.contains("not allowed") || e.message.contains("transport"), "\(url): \(e.message)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "ext:: ran nothing")
        // The file:// repository was readable all along: allowing nothing but https is what refused it.
        let open = GitFetcher.Invocation(directory: work, allowed: [.https, .http, .ssh])
        await #expect(throws: TaskError.self) { _ = try await open.run(["fetch", "-q", "--", "file://\(repo)", "main"], failure: "fetch") }
    }

    @Test func theFetcherChecksTheReferenceAgainstThisDelegatesTransports() async throws {
        let source = try GitSource(["url": "http://127.0.0.1:1/r.git", "ref": "main", "path": "td.yaml"])
        do {
            _ = try await GitFetcher.fetch(source, allowed: [.https], username: nil, password: nil)
            Issue.record("fetched over http")
        } catch let e as TaskError {
            #expect(e.code == "invalid_payload")
            #expect(e.message == "git.url uses http://, which this delegate does not fetch over (its git_protocols: https)")
        }
        let https = try GitSource(["url": "https://127.0.0.1:1/r.git", "ref": "main", "path": "td.yaml"])
        for secret in ["a\nhost=evil.example.com", "a\rb", "a\u{0}b"] {
            do {
                _ = try await GitFetcher.fetch(https, allowed: [.https], username: "u", password: secret)
                Issue.record("a secret with a line break was used")
            } catch let e as TaskError {
                #expect(e.message.contains("the Git password secret contains a line break or NUL"), "\(e.message)")
            }
        }
    }

    @Test func aManifestRefIsCheckedOnTheDelegateWhateverTheManagerSent() {
        for (ref, member) in [
            (["store": "git", "url": "--upload-pack=x", "path": "td.yaml"] as JSONValue, "git.url"),
            (["store": "git", "url": "https://h/r.git", "ref": "-x", "path": "td.yaml"], "git.ref"),
            (["store": "git", "url": "https://h/r.git", "path": "../x"], "git.path"),
        ] {
            do {
                _ = try ManifestRef(ref, what: "taskDefinition")
                Issue.record("accepted \(ref)")
            } catch let e as TaskError {
                #expect(e.code == "invalid_payload" && e.message.hasPrefix("taskDefinition: \(member) "), "\(e.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
