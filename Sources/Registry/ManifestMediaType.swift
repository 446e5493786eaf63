/// The manifest media types the client asks for and understands.
package enum ManifestMediaType {
    /// Docker image manifest v2, schema 2.
    package static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list (multi-platform).
    package static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// OCI image manifest.
    package static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index (multi-platform).
    package static let ociIndex = "application/vnd.oci.image.index.v1+json"

    /// Every accepted type, in the order of the `Accept` header.
    package static let accepted = [ociIndex, dockerManifestList, ociManifest, dockerManifest]
    /// The multi-platform types, whose entries are platform manifests.
    package static let indexes: Set<String> = [ociIndex, dockerManifestList]

    /// The `Accept` header value of a manifest request.
    static var acceptHeader: String { accepted.joined(separator: ", ") }
}
