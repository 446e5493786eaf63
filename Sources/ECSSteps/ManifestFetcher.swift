import AWSCore
import AWSServices
import DelegateProtocol
import DelegateRuntime
import Foundation
import Manifests

/// Fetches manifests, logging the tutorial's "Fetching ... / Successfully fetched ..." lines.
struct ManifestFetcher {
    let log: TaskLog
    let secrets: [String: String]
    /// The transports this delegate fetches Git manifests over (`git_protocols`).
    let gitTransports: Set<GitSource.Transport>
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
        case .git(let source):
            text = try await GitFetcher.fetch(
                source, allowed: gitTransports, username: source.usernameSecret.flatMap { secrets[$0] }, password: source.passwordSecret.flatMap { secrets[$0] })
        }
        log.log("Successfully fetched following files:", unit: unit)
        log.log("- \(ref.path)", unit: unit)
        return text
    }
}
