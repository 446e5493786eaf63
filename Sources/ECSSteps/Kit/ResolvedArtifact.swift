import DelegateProtocol
import Foundation
import Registry
import StepContracts

/// An artifact as a step resolved it: what the task definition names, and the digest when pinned.
package struct ResolvedArtifact: Codable, Sendable, Equatable {
    /// The repository, e.g. `library/nginx`.
    package var image: String
    package var tag: String
    /// `sha256:...` (nil when the step did not pin it).
    package var digest: String?
    /// What `<+artifact.image>` rendered as.
    package var reference: String

    /// The expression values: `artifact.image`, `artifact.tag`, `artifact.digest`.
    var variables: JSONValue {
        var o: [String: JSONValue] = ["image": .string(reference), "tag": .string(tag)]
        if let digest { o["digest"] = .string(digest) }
        return .object(o)
    }
}

extension StepRun {
    /// Resolves `artifact` through the task's `dockerRegistry` connector, logging it, and remembers it for the snapshot.
    ///
    /// Pinned: the tag's manifest digest is read from the registry (verified
    /// against the manifest's bytes) and the reference names it, so the task
    /// definition, and a later rollback to it, runs exactly these bits.
    func resolve(_ artifact: ArtifactRequest) async throws -> ResolvedArtifact {
        let unit = "Fetch Artifact"
        let client = try registry()
        let connector = client.connector
        let name = try ImageName(artifact.image)
        let tag = artifact.tag ?? "latest"
        let resolved: ResolvedArtifact
        if artifact.pinDigest ?? true {
            let manifest: ResolvedManifest
            do {
                manifest = try await client.resolve(repository: name.repository(registryURL: connector.url), reference: tag)
            } catch let e as TaskError {
                throw TaskError(code: e.code, message: "resolving \(name.displayName):\(tag) failed: \(e.message); nothing was changed in AWS")
            }
            resolved = ResolvedArtifact(image: artifact.image, tag: tag, digest: manifest.digest, reference: name.reference(registryURL: connector.url, digest: manifest.digest))
            log.log("Resolved \(name.displayName):\(tag) to \(manifest.digest) (pinned)", unit: unit)
        } else {
            resolved = ResolvedArtifact(image: artifact.image, tag: tag, digest: nil, reference: name.reference(registryURL: connector.url, tag: tag))
            log.log("Using \(resolved.reference) (not pinned: the tag may move)", unit: unit)
        }
        rememberArtifact(resolved)
        return resolved
    }
}
