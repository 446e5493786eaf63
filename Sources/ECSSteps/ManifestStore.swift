import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation

/// Where a manifest comes from, as a task names it.
///
/// - `{"store": "inline", "path": "account:/ECS Tutorial/x.yaml", "content": "..."}` (the tutorial's "Harness File Store")
/// - `{"store": "s3", "bucket": "b", "key": "k"}` (fetched with the task's AWS credentials)
/// - `{"store": "git", "url": "https://...", "ref": "main", "path": "ecs/td.yaml", "usernameSecret": "git_user", "passwordSecret": "git_token"}`
///   (a shallow fetch with the system `git`; credentials from the task's secrets through a credential helper, never in a URL)
struct ManifestRef: Sendable {
    enum Store: Sendable { case inline(content: String), s3(bucket: String, key: String), git(url: String, ref: String, usernameSecret: String?, passwordSecret: String?) }
    var store: Store
    var path: String
    var identifier: String

    init(_ v: JSONValue, what: String) throws {
        guard v.objectValue != nil else { throw TaskError(code: "invalid_payload", message: "\(what): expected a manifest reference object") }
        identifier = v["identifier"]?.stringValue ?? what
        switch v["store"]?.stringValue ?? "inline" {
        case "inline", "harness":
            guard let content = v["content"]?.stringValue else { throw TaskError(code: "invalid_payload", message: "\(what): inline manifest needs 'content'") }
            store = .inline(content: content)
            path = v["path"]?.stringValue ?? "\(what).yaml"
        case "s3":
            guard let bucket = v["bucket"]?.stringValue, let key = v["key"]?.stringValue else {
                throw TaskError(code: "invalid_payload", message: "\(what): S3 manifest needs 'bucket' and 'key'")
            }
            store = .s3(bucket: bucket, key: key)
            path = "s3://\(bucket)/\(key)"
        case "git":
            guard let url = v["url"]?.stringValue, let p = v["path"]?.stringValue else {
                throw TaskError(code: "invalid_payload", message: "\(what): Git manifest needs 'url' and 'path'")
            }
            store = .git(url: url, ref: v["ref"]?.stringValue ?? "HEAD", usernameSecret: v["usernameSecret"]?.stringValue, passwordSecret: v["passwordSecret"]?.stringValue)
            path = p
        case let other:
            throw TaskError(code: "invalid_payload", message: "\(what): unknown manifest store '\(other)' (inline, s3, git)")
        }
    }

    var storeName: String {
        switch store {
        case .inline: return "Harness File Store"
        case .s3: return "S3"
        case .git: return "Git"
        }
    }
}

/// Fetches manifests, logging the tutorial's "Fetching ... / Successfully fetched ..." lines.
struct ManifestFetcher {
    let log: TaskLog
    let secrets: [String: String]
    let s3: () throws -> S3

    func fetch(_ ref: ManifestRef, kind: String) async throws -> String {
        let unit = "Fetch Manifests"
        log.log("Fetching \(kind) from \(ref.storeName)", unit: unit)
        log.log("Fetching \(kind) files with identifier: \(ref.identifier)", unit: unit)
        log.log("Fetching following Files :", unit: unit)
        log.log("- \(ref.path)", unit: unit)
        let text: String
        switch ref.store {
        case .inline(let content):
            text = content
        case .s3(let bucket, let key):
            do {
                let object = try await s3().getObject(bucket: bucket, key: key)
                text = String(decoding: object.body, as: UTF8.self)
            } catch {
                throw TaskError(code: "manifest_fetch", message: "cannot fetch s3://\(bucket)/\(key): \(error)")
            }
        case .git(let url, let gitRef, let userSecret, let passSecret):
            text = try await GitFetcher.fetch(url: url, ref: gitRef, path: ref.path, username: userSecret.flatMap { secrets[$0] }, password: passSecret.flatMap { secrets[$0] })
        }
        log.log("Successfully fetched following files:", unit: unit)
        log.log("- \(ref.path)", unit: unit)
        return text
    }
}

/// A shallow fetch of one file with the system `git`.
package enum GitFetcher {
    /// Fetches `path` at `ref` of `url`; credentials go through a credential helper reading the environment.
    static func fetch(url: String, ref: String, path: String, username: String?, password: String?) async throws -> String {
        let dir = NSTemporaryDirectory() + "ecsd-git-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var env = ["GIT_TERMINAL_PROMPT": "0", "HOME": dir, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1"]
        var helper: [String] = []
        if let password {
            env["ECSD_GIT_USERNAME"] = username ?? "x-access-token"
            env["ECSD_GIT_PASSWORD"] = password
            // The helper prints the credentials from the environment: nothing secret in argv or in a URL.
            helper = ["-c", "credential.helper=", "-c", #"credential.helper=!f() { test "$1" = get && echo "username=$ECSD_GIT_USERNAME" && echo "password=$ECSD_GIT_PASSWORD"; }; f"#]
        }
        func git(_ args: [String]) throws -> (Int32, String, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["git"] + helper + args
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.environment = env
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }
        let shown = redactURL(url)
        for args in [["init", "-q"], ["fetch", "-q", "--depth", "1", url, ref]] {
            let (rc, _, err) = try git(args)
            if rc != 0 {
                throw TaskError(code: "manifest_fetch", message: "git \(args[0]) of \(shown) at \(ref) failed: \(err.replacingOccurrences(of: url, with: shown).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        let (rc, text, err) = try git(["show", "FETCH_HEAD:\(path)"])
        if rc != 0 {
            throw TaskError(code: "manifest_fetch", message: "\(path) not found in \(shown) at \(ref): \(err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }

    /// A URL with any user:password removed, for logs.
    package static func redactURL(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let slash = url[scheme.upperBound...].firstIndex(of: "/") ?? url.endIndex
        guard at < slash else { return url }
        return String(url[..<scheme.upperBound]) + "***@" + String(url[url.index(after: at)...])
    }
}
