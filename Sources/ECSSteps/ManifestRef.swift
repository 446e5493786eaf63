import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Manifests

/// Where a manifest comes from, as a task names it.
///
/// - `{"store": "inline", "path": "account:/ECS Tutorial/x.yaml", "content": "..."}` (the tutorial's "Harness File Store")
/// - `{"store": "s3", "bucket": "b", "key": "k"}` (fetched with the task's AWS credentials)
/// - `{"store": "git", "url": "https://...", "ref": "main", "path": "ecs/td.yaml", "usernameSecret": "git_user", "passwordSecret": "git_token"}`
///   (checked by `GitSource`; a shallow fetch by `GitFetcher`, credentials from the task's secrets through a credential helper, never in a URL)
struct ManifestRef: Sendable {
    enum Store: Sendable { case inline(content: String), s3(bucket: String, key: String), git(GitSource) }
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
            let source: GitSource
            do {
                source = try GitSource(v)
            } catch {
                throw TaskError(code: "invalid_payload", message: "\(what): \(error)")
            }
            store = .git(source)
            path = source.path
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
