import AWSServices
import DelegateProtocol
import DelegateRuntime
import Manifests

/// Fetches and renders a step's manifests, collecting every problem so all are reported before any AWS call.
///
/// The one manifest-loading path of every step: fetch (inline, S3, Git) with
/// the tutorial's log lines, render against the API model, log notes and errors.
final class ManifestLoader: @unchecked Sendable {  // used by one task at a time
    private let fetcher: ManifestFetcher
    private let renderer: ManifestRenderer
    private let log: TaskLog
    /// Every problem found so far, as `file:line:col: path: message`.
    private(set) var problems: [String] = []

    init(log: TaskLog, secrets: [String: String], gitTransports: Set<GitSource.Transport>, variables: [String: JSONValue], s3: @escaping () throws -> S3) {
        self.log = log
        fetcher = ManifestFetcher(log: log, secrets: secrets, gitTransports: gitTransports, s3: s3)
        renderer = ManifestRenderer(variables: variables)
    }

    /// Fetches and renders `ref` as a `kind` manifest labelled `label` (nil: no reference, or a problem was recorded).
    func load(_ ref: JSONValue?, _ kind: ManifestKind, _ label: String) async throws -> JSONValue? {
        guard let ref, ref != .null else { return nil }
        let r = try ManifestRef(ref, what: label)
        let text = try await fetcher.fetch(r, kind: label)
        do {
            let rendered = try renderer.render(text, file: r.path, kind: kind)
            for n in rendered.notes { log.log("\(r.path): \(n)", unit: "Fetch Manifests") }
            return rendered.body
        } catch let e as ManifestErrors {
            for err in e.errors { log.log(err.description, level: "error", unit: "Fetch Manifests") }
            problems += e.errors.map(\.description)
            return nil
        }
    }

    /// Every reference in a list, labelled `label`, `label 2`, ...
    func loadAll(_ refs: [JSONValue]?, _ kind: ManifestKind, _ label: String) async throws -> [JSONValue] {
        var out: [JSONValue] = []
        for (i, ref) in (refs ?? []).enumerated() {
            if let v = try await load(ref, kind, label + (i == 0 ? "" : " \(i + 1)")) { out.append(v) }
        }
        return out
    }

    /// Throws `invalid_manifest` with every problem when there were any; logs "Fetched all manifests" otherwise.
    func finish() throws {
        guard problems.isEmpty else {
            throw TaskError(code: "invalid_manifest", message: "the manifests have \(problems.count) problem(s); nothing was changed in AWS:\n" + problems.joined(separator: "\n"))
        }
        log.log("Fetched all manifests", unit: "Fetch Manifests")
    }
}
